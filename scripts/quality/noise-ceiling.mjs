// How much of each held-out phantom scan is noise no reconstruction can be expected to keep (issue 19): the phantom
// generator makes every case twice from the same draws, with and without its Rician noise, so the noise-free scan is
// the anatomy an autoencoder's latent has to carry and the rest is noise, independent per voxel. Each contrast of
// each case is mapped into a run's units by the noisy scan's own normalisation (as eval maps the reference), the
// noise-free scan by the same linear map, and scored brain-masked (the scan's nonzero voxels) against the noisy one,
// PSNR with the run's range:
//   - noise-free: what a reconstruction equal to the noise-free anatomy scores, the mark a model that keeps no noise
//     sits at (its error is the noise itself);
//   - noise-free, block-averaged by f and back (trilinear): the anatomy at one number per f³ voxels, as in
//     latent-resolution-bound.mjs, but without the noise.
// A first stage that keeps one of 8192 codes (13 bits) per cell of 2×2×2 voxels has 1.6 bits per voxel for anatomy and
// noise together; to score above the noise-free mark it must spend them on reproducing the noise.
//
//   node scripts/quality/noise-ceiling.mjs --data DIR --units RUN [--factors 2] [--cases N]
//
// DIR holds BraTS-style cases named Phantom<seed>_<index> (mrsynth phantom); each stored scan is checked to be the
// generator's. Prints per contrast the mean ± std over cases. Uses the built package (dist/).
import { parseArgs } from 'node:util';
import { F, data, metrics, nifti, runs, tensor } from '../../dist/index.js';
import { generatorFor, phantomKey } from './phantom-cases.mjs';

const { values } = parseArgs({
  options: { data: { type: 'string' }, units: { type: 'string' }, factors: { type: 'string', default: '2' }, cases: { type: 'string' } },
});
if (values.data === undefined || values.units === undefined) throw new Error('give --data DIR and --units RUN (a run folder whose units to score in)');
const factors = values.factors.split(',').map(Number);
const config = await runs.readAnyRunConfig(values.units);
const units = { preprocess: config.preprocess, source: values.units };
const span = metrics.runUnitsSpan(units);
const { cases } = await data.discoverDataset(values.data);
const chosen = values.cases === undefined ? cases : cases.slice(0, Number(values.cases));

/** The linear map (a, b) the run's normalisation applied to `scan`, read off two brain voxels of different value. */
function unitsMap(scan, inUnits) {
  const first = scan.data.findIndex((x) => x !== 0);
  const second = scan.data.findIndex((x) => x !== 0 && x !== scan.data[first]);
  const a = (inUnits.data[second] - inUnits.data[first]) / (scan.data[second] - scan.data[first]);
  return { a, b: inUnits.data[first] - a * scan.data[first] };
}

/** Brain PSNR of `prediction` against `reference` (both in units), over the stored scan's nonzero voxels. */
function brainPsnr(prediction, reference, scan) {
  let sum = 0, n = 0;
  for (let i = 0; i < reference.length; i++) {
    if (scan.data[i] === 0) continue;
    sum += (prediction[i] - reference[i]) ** 2;
    n += 1;
  }
  return 10 * Math.log10((span * span) / (sum / n));
}

let generator;
const results = new Map(); // contrast → column → PSNRs
const record = (contrast, column, psnr) => {
  const byColumn = results.get(contrast) ?? new Map();
  byColumn.set(column, [...(byColumn.get(column) ?? []), psnr]);
  results.set(contrast, byColumn);
};
for (const c of chosen) {
  const { seed, index } = phantomKey(c.id);
  let clean;
  for (const [contrast, path] of Object.entries(c.contrasts)) {
    const scan = (await nifti.readNifti(path)).volume;
    generator ??= await generatorFor(scan);
    if (clean === undefined) {
      const noisy = generator.generate(seed, index, 'brats').contrasts;
      for (const [name, own] of Object.entries(noisy)) {
        const stored = (await nifti.readNifti(c.contrasts[name])).volume;
        if (own.data.length !== stored.data.length || own.data.some((x, v) => x !== stored.data[v])) {
          throw new Error(`${c.contrasts[name]} is not the generator's ${name} of ${c.id} on this grid`);
        }
      }
      clean = generator.generate(seed, index, 'brats', { noise: false }).contrasts;
    }
    const noisyUnits = metrics.toRunUnits(scan, units).data;
    const { a, b } = unitsMap(scan, { data: noisyUnits });
    const cleanUnits = Float32Array.from(clean[contrast].data, (x) => a * x + b);
    record(contrast, 'noise-free', brainPsnr(cleanUnits, noisyUnits, scan));
    const [x, y, z] = scan.shape;
    // (N, C, D, H, W) with D = z: the volume's data run x fastest.
    const image = tensor(cleanUnits, { shape: [1, 1, z, y, x] });
    for (const f of factors) {
      const pooled = F.avgPool3d(image, [f, f, f], { ceilMode: true });
      const back = F.interpolate(pooled, { size: [z, y, x], mode: 'linear', alignCorners: false });
      record(contrast, `noise-free, f = ${f}`, brainPsnr(back.toTypedArray(), noisyUnits, scan));
      pooled.dispose();
      back.dispose();
    }
    image.dispose();
  }
}
const meanStd = (v) => {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length < 2 ? NaN : Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1));
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
};
const columns = ['noise-free', ...factors.map((f) => `noise-free, f = ${f}`)];
console.log(`${chosen.length} case(s) of ${values.data}, brain-masked, in the units of ${values.units} (range ${span}); PSNR dB against the noisy scan`);
console.log(`contrast | ${columns.map((name) => name.padEnd(18)).join(' | ')}`);
for (const [contrast, byColumn] of results) console.log(`${contrast.padEnd(8)} | ${columns.map((name) => meanStd(byColumn.get(name)).padEnd(18)).join(' | ')}`);
