/**
 * Metrics benchmark: the full evaluation of one 240x240x155 float32 pair — MSE, MAE, PSNR, NMSE and SSIM (3D,
 * Gaussian 11³) over the whole volume, the brain, the tumour and the non-tumour brain — with I/O excluded
 * (target < 2 s on the 2-core development machine). The pair is TCGA-DU-7294 t1 scored as if it were t2, both
 * min-max normalised; the fixture has no segmentation, so a 30-voxel ball stands in for the tumour.
 *   npm run bench:metrics [-- --iterations 5]
 */
import { fileURLToPath } from 'node:url';
import { readNifti } from '../src/io/nifti/index.js';
import type { Volume } from '../src/volume/index.js';
import { regionMasks, REGIONS } from '../src/metrics/index.js';
import { scoreRegions } from '../src/metrics/index.js';
import { ballMask } from '../test-fixtures/metrics/pattern.js';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1] ?? 0) || 5;
const fixtures = fileURLToPath(new URL('../test-fixtures/metrics/', import.meta.url));

function unit(v: Volume): Volume {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v.data) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  return { ...v, data: v.data.map((x) => (x - lo) / (hi - lo)) };
}

const t1 = (await readNifti(`${fixtures}TCGA-DU-7294_t1.nii.gz`)).volume;
const t2 = (await readNifti(`${fixtures}TCGA-DU-7294_t2.nii.gz`)).volume;
const pred = unit(t1);
const ref = unit(t2);
const seg = Float32Array.from(ballMask(t2.shape, [120, 120, 77], 30));

const wall: number[] = [];
const cpu: number[] = [];
let last;
for (let i = 0; i < iterations; i++) {
  const started = performance.now();
  const usage = process.cpuUsage();
  const masks = regionMasks([...REGIONS], t2.data, seg);
  last = scoreRegions(pred, ref, masks, { dataRange: 1 });
  const used = process.cpuUsage(usage);
  wall.push(performance.now() - started);
  cpu.push((used.user + used.system) / 1000);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`full metric set on ${t2.shape.join('x')} float32 (4 regions x MSE, MAE, PSNR, NMSE, SSIM), ${iterations} runs:`);
console.log(`  wall  median ${(median(wall) / 1000).toFixed(3)} s  min ${(Math.min(...wall) / 1000).toFixed(3)} s`);
console.log(`  cpu   median ${(median(cpu) / 1000).toFixed(3)} s  min ${(Math.min(...cpu) / 1000).toFixed(3)} s`);
for (const [region, s] of last!) {
  console.log(`  ${region.padEnd(10)} psnr ${s.psnr.toFixed(3)}  nmse ${s.nmse.toFixed(4)}  ssim ${s.ssim.toFixed(6)}`);
}
