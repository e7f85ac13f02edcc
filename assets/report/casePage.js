// mrsynth report, case page: one NiiVue viewer per volume, crosshairs linked in world coordinates (mm), so that a
// click or scroll in any view moves every other to the same place even where the volumes lie on different grids.
'use strict';
(async () => {
  const config = JSON.parse(document.getElementById('case-config').textContent);
  const viewers = [];
  for (const spec of config.viewers) {
    const nv = new niivue.Niivue({
      backColor: [0, 0, 0, 1], crosshairColor: [1, 0.2, 0.2, 1], isColorbar: spec.window === 'error', dragAndDropEnabled: false,
      show3Dcrosshair: true, crosshairWidth: 1,
    });
    await nv.attachTo(`canvas-${spec.key}`);
    const image = await niivue.NVImage.loadFromUrl({
      url: `${spec.key}.nii.gz`, name: `${spec.key}.nii.gz`, buffer: mrsynthReport.bytes(spec.key), colormap: spec.colormap,
    });
    nv.addVolume(image);
    if (config.label) {
      const label = await niivue.NVImage.loadFromUrl({
        url: 'label.nii.gz', name: 'label.nii.gz', buffer: mrsynthReport.bytes(config.label.key), colormap: 'red', opacity: 0,
      });
      label.colorbarVisible = false;
      nv.addVolume(label);
      label.cal_min = 0.5;
      label.cal_max = 4;
    }
    viewers.push({ ...spec, nv });
  }

  const ownWindows = document.getElementById('own-windows');
  function applyWindows() {
    for (const v of viewers) {
      const own = ownWindows.checked || v.window !== 'reference';
      const volume = v.nv.volumes[0];
      volume.cal_min = own ? v.ownMin : v.calMin;
      volume.cal_max = own ? v.ownMax : v.calMax;
      v.nv.updateGLVolume();
      const text = document.getElementById(`window-${v.key}`);
      if (v.window === 'reference') {
        text.textContent = `(${own ? 'own' : 'reference'} window ${volume.cal_min.toPrecision(3)}–${volume.cal_max.toPrecision(3)})`;
      }
    }
  }
  ownWindows.addEventListener('change', applyWindows);
  applyWindows();

  const showLabel = document.getElementById('show-label');
  if (showLabel) {
    showLabel.addEventListener('change', () => {
      for (const v of viewers) v.nv.setOpacity(1, showLabel.checked ? 0.45 : 0);
    });
  }

  const layouts = { axial: 'sliceTypeAxial', coronal: 'sliceTypeCoronal', sagittal: 'sliceTypeSagittal', multiplanar: 'sliceTypeMultiplanar' };
  for (const button of document.querySelectorAll('button[data-layout]')) {
    button.addEventListener('click', () => {
      for (const other of document.querySelectorAll('button[data-layout]')) other.setAttribute('aria-pressed', String(other === button));
      for (const v of viewers) v.nv.setSliceType(v.nv[layouts[button.dataset.layout]]);
    });
  }
  for (const v of viewers) v.nv.setSliceType(v.nv.sliceTypeAxial);

  const location = document.getElementById('location');
  /** Moves every viewer's crosshair to world position mm (each through its own volume's affine). */
  function moveAllTo(mm, except) {
    for (const other of viewers) {
      if (other === except) continue;
      other.nv.scene.crosshairPos = other.nv.mm2frac(mm);
      other.nv.drawScene();
    }
    location.textContent = `x ${mm[0].toFixed(1)}, y ${mm[1].toFixed(1)}, z ${mm[2].toFixed(1)} mm`;
  }
  for (const v of viewers) {
    v.nv.onLocationChange = (data) => moveAllTo(data.mm, v);
  }
  const first = viewers[0];
  if (first) moveAllTo(first.nv.frac2mm(first.nv.scene.crosshairPos), first);

  window.mrsynthViewers = viewers;
  document.body.dataset.ready = 'true';
})().catch((error) => {
  const note = document.createElement('p');
  note.className = 'error';
  note.textContent = `The views could not be shown: ${error.message}`;
  document.querySelector('main').prepend(note);
  console.error(error);
});
