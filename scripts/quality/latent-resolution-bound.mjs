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
import { metrics, nifti } from '../../dist/index.js';
import { blockAverage, brainPsnr, meanStd, scanUnitsOptions } from './scan-units.mjs';

const { dataDir, unitsDir, units, span, factors, cases: chosen } = await scanUnitsOptions('2,4');
const results = new Map(); // contrast → factor → PSNRs
for (const c of chosen) {
  for (const [contrast, path] of Object.entries(c.contrasts)) {
    const scan = (await nifti.readNifti(path)).volume;
    const unitsVolume = metrics.toRunUnits(scan, units);
    for (const f of factors) {
      const psnr = brainPsnr(blockAverage(unitsVolume.data, scan.shape, f), unitsVolume.data, scan, span);
      const byFactor = results.get(contrast) ?? new Map();
      byFactor.set(f, [...(byFactor.get(f) ?? []), psnr]);
      results.set(contrast, byFactor);
    }
  }
}
console.log(`${chosen.length} case(s) of ${dataDir}, brain-masked, in the units of ${unitsDir} (range ${span}); PSNR dB of a block average by f and back`);
console.log(`contrast | ${factors.map((f) => `f = ${f}`.padEnd(14)).join(' | ')}`);
for (const [contrast, byFactor] of results) console.log(`${contrast.padEnd(8)} | ${factors.map((f) => meanStd(byFactor.get(f)).padEnd(14)).join(' | ')}`);
