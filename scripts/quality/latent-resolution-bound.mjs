// What a latent grid coarser than the image can keep, measured without any network (issue 19): each contrast of each
// case, in a run's units, is block-averaged by a factor f on every axis (one number per f³ voxels) and interpolated
// back (trilinear), then scored brain-masked (the scan's nonzero voxels) on the original grid, PSNR with the run's
// range. A continuous, linear stand-in for ALDM's first stage, which keeps one of 8192 codes (13 bits) per cell of its
// latent grid, f = 4 for the reference's and mrsynth's `cpu` autoencoder: the figure shows how much detail lies below
// the cell size on a given voxel grid, not a bound on what a learned decoder can restore.
//
//   node scripts/quality/latent-resolution-bound.mjs --data DIR --units RUN [--factors 2,4] [--cases N]
//
// Prints per contrast the mean ± std over cases of each factor's PSNR. Uses the built package (dist/).
import { parseArgs } from 'node:util';
import { F, data, metrics, nifti, runs, tensor } from '../../dist/index.js';

const { values } = parseArgs({
  options: { data: { type: 'string' }, units: { type: 'string' }, factors: { type: 'string', default: '2,4' }, cases: { type: 'string' } },
});
if (values.data === undefined || values.units === undefined) throw new Error('give --data DIR and --units RUN (a run folder whose units to score in)');
const factors = values.factors.split(',').map(Number);
const config = await runs.readAnyRunConfig(values.units);
const units = { preprocess: config.preprocess, source: values.units };
const span = metrics.runUnitsSpan(units);
const { cases } = await data.discoverDataset(values.data);
const chosen = values.cases === undefined ? cases : cases.slice(0, Number(values.cases));

const results = new Map(); // contrast → factor → PSNRs
for (const c of chosen) {
  for (const [contrast, path] of Object.entries(c.contrasts)) {
    const scan = (await nifti.readNifti(path)).volume;
    const unitsVolume = metrics.toRunUnits(scan, units);
    const [x, y, z] = unitsVolume.shape;
    // (N, C, D, H, W) with D = z: the volume's data run x fastest.
    const image = tensor(Float32Array.from(unitsVolume.data), { shape: [1, 1, z, y, x] });
    for (const f of factors) {
      const pooled = F.avgPool3d(image, [f, f, f], { ceilMode: true });
      const back = F.interpolate(pooled, { size: [z, y, x], mode: 'linear', alignCorners: false });
      const values = back.toTypedArray();
      pooled.dispose();
      back.dispose();
      let sum = 0, n = 0;
      for (let i = 0; i < values.length; i++) {
        if (scan.data[i] === 0) continue;
        const d = values[i] - unitsVolume.data[i];
        sum += d * d;
        n += 1;
      }
      const psnr = 10 * Math.log10((span * span) / (sum / n));
      const byFactor = results.get(contrast) ?? new Map();
      byFactor.set(f, [...(byFactor.get(f) ?? []), psnr]);
      results.set(contrast, byFactor);
    }
    image.dispose();
  }
}
const meanStd = (v) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length < 2 ? NaN : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
};
console.log(`${chosen.length} case(s) of ${values.data}, brain-masked, in the units of ${values.units} (range ${span}); PSNR dB of a block average by f and back`);
console.log(`contrast | ${factors.map((f) => `f = ${f}`.padEnd(14)).join(' | ')}`);
for (const [contrast, byFactor] of results) console.log(`${contrast.padEnd(8)} | ${factors.map((f) => meanStd(byFactor.get(f)).padEnd(14)).join(' | ')}`);
