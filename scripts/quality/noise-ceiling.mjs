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
import { metrics, nifti } from '../../dist/index.js';
import { generatorFor, phantomKey } from './phantom-cases.mjs';
import { blockAverage, brainPsnr, meanStd, scanUnitsOptions } from './scan-units.mjs';

const { dataDir, unitsDir, units, span, factors, cases: chosen } = await scanUnitsOptions('2');

/** The linear map (a, b) the run's normalisation applied to `scan`, read off two brain voxels of different value. */
function unitsMap(scan, inUnits) {
  const first = scan.data.findIndex((x) => x !== 0);
  const second = scan.data.findIndex((x) => x !== 0 && x !== scan.data[first]);
  const a = (inUnits.data[second] - inUnits.data[first]) / (scan.data[second] - scan.data[first]);
  return { a, b: inUnits.data[first] - a * scan.data[first] };
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
    record(contrast, 'noise-free', brainPsnr(cleanUnits, noisyUnits, scan, span));
    for (const f of factors) record(contrast, `noise-free, f = ${f}`, brainPsnr(blockAverage(cleanUnits, scan.shape, f), noisyUnits, scan, span));
  }
}
const columns = ['noise-free', ...factors.map((f) => `noise-free, f = ${f}`)];
console.log(`${chosen.length} case(s) of ${dataDir}, brain-masked, in the units of ${unitsDir} (range ${span}); PSNR dB against the noisy scan`);
console.log(`contrast | ${columns.map((name) => name.padEnd(18)).join(' | ')}`);
for (const [contrast, byColumn] of results) console.log(`${contrast.padEnd(8)} | ${columns.map((name) => meanStd(byColumn.get(name)).padEnd(18)).join(' | ')}`);
