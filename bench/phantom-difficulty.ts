/**
 * How hard is it to predict one contrast from another? For each target contrast, the best least-squares
 * affine intensity map a·x + b from any single other contrast of the same case is fitted inside the brain, and
 * its brain-masked PSNR reported (each volume first normalised by its 0.1/99.9 percentile range to [0, 1],
 * clipped; data range 1). Phantoms should score like real data: a phantom on which an intensity lookup
 * scores much higher is too easy to test a synthesis model with.
 *
 *   node --import tsx bench/phantom-difficulty.ts [realBratsDir] [phantomCases] [seed]
 *
 * realBratsDir holds BraTS 2021-named case folders (default ../shared/data/brats-sample).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNifti } from '../src/io/nifti/index.js';
import { psnrFromMse } from '../src/metrics/index.js';
import { anatomyFromVolume, SRI24_TISSUES_PATH } from '../src/phantom/index.js';
import { PhantomGenerator } from '../src/phantom/index.js';
import { phantomGrid } from '../src/phantom/index.js';
import { percentiles } from '../src/volume/index.js';

const BRATS = ['t1', 't1ce', 't2', 'flair'] as const;
type Contrasts = Record<string, Float32Array>;

function brainMask(volumes: Contrasts): Uint8Array {
  const all = Object.values(volumes);
  const mask = new Uint8Array(all[0].length);
  for (const v of all) for (let i = 0; i < v.length; i++) if (v[i] !== 0) mask[i] = 1;
  return mask;
}

function normalised(data: Float32Array, mask: Uint8Array): Float64Array {
  const inside = Float32Array.from(data.filter((_, i) => mask[i] === 1));
  const [lo, hi] = percentiles(inside, [0.1, 99.9]);
  return Float64Array.from(inside, (x) => Math.min(1, Math.max(0, (x - lo) / (hi - lo))));
}

/** PSNR of the least-squares fit a·x + b of `target` from `source` (both brain voxels only, in [0, 1]). */
function affineFitPsnr(source: Float64Array, target: Float64Array): number {
  const n = source.length;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += source[i]; sy += target[i]; sxx += source[i] * source[i]; sxy += source[i] * target[i];
  }
  const a = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const b = (sy - a * sx) / n;
  let squared = 0;
  for (let i = 0; i < n; i++) {
    const d = a * source[i] + b - target[i];
    squared += d * d;
  }
  return psnrFromMse(squared / n, 1);
}

/** Per target contrast: the best single-source PSNR and which source gave it. */
function difficulty(volumes: Contrasts): Record<string, { psnr: number; source: string }> {
  const mask = brainMask(volumes);
  const norm: Record<string, Float64Array> = {};
  for (const [name, data] of Object.entries(volumes)) norm[name] = normalised(data, mask);
  const out: Record<string, { psnr: number; source: string }> = {};
  for (const target of Object.keys(norm)) {
    let best = { psnr: -Infinity, source: '' };
    for (const source of Object.keys(norm)) {
      if (source === target) continue;
      const psnr = affineFitPsnr(norm[source], norm[target]);
      if (psnr > best.psnr) best = { psnr, source };
    }
    out[target] = best;
  }
  return out;
}

function report(label: string, rows: Record<string, { psnr: number; source: string }>[]): Record<string, number> {
  const means: Record<string, number> = {};
  for (const target of Object.keys(rows[0])) {
    const values = rows.map((r) => r[target].psnr);
    means[target] = values.reduce((s, v) => s + v, 0) / values.length;
    console.log(`${label.padEnd(10)} ${target.padEnd(6)} mean ${means[target].toFixed(2)} dB   per case: ${
      rows.map((r) => `${r[target].psnr.toFixed(2)} (from ${r[target].source})`).join(', ')}`);
  }
  return means;
}

const realDir = process.argv[2] ?? join(process.cwd(), '..', 'shared', 'data', 'brats-sample');
const phantomCases = Number(process.argv[3] ?? 4);
const seed = Number(process.argv[4] ?? 1);

const real = readdirSync(realDir).sort().map((id) => {
  const volumes: Contrasts = {};
  for (const c of BRATS) {
    const path = join(realDir, id, `${id}_${c}.nii.gz`);
    volumes[c] = parseNifti(readFileSync(path), path).volume.data;
  }
  return difficulty(volumes);
});
const realMeans = report('real', real);

const anatomy = anatomyFromVolume(parseNifti(readFileSync(SRI24_TISSUES_PATH), SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH);
const generator = new PhantomGenerator(anatomy, phantomGrid(anatomy));
const phantoms = Array.from({ length: phantomCases }, (_, index) => {
  const c = generator.generate(seed, index, 'brats');
  const volumes: Contrasts = {};
  for (const name of BRATS) volumes[name] = c.contrasts[name]!.data;
  return difficulty(volumes);
});
const phantomMeans = report('phantom', phantoms);
for (const target of BRATS) {
  console.log(`${target.padEnd(6)} phantom − real: ${(phantomMeans[target] - realMeans[target]).toFixed(2)} dB`);
}
