// The least squared error any model that completes T1ce from T1, T2 and FLAIR can expect on each held-out phantom of a
// quality run, as a PSNR, set beside the oracle baseline the gate compares with and the run's model.
//
// Each held-out T1ce is drawn again DRAWS times with everything only T1ce shows redrawn (t1ce-redraws.mjs), each
// normalised as the reference is: the brain mean of the redraws' per-voxel variance, σ², is the least expected squared
// error any model of T1, T2 and FLAIR can have on that case, printed as a PSNR, 10·log10(1 / σ²) (data range 1, the
// cWDM units). The script prints it per case with two standard errors of σ² either side, the PSNR the mean of the
// redraws actually reaches on the held-out reference, the oracle baseline and the model. 256 draws take
// about 15 minutes on one core for 20 cases of 64 x 64 x 48.
//
//   node scripts/quality/cwdm-t1ce-bound.mjs QUALITY/t1ce-cpu [DRAWS]     # after cwdm-phantom.sh; DRAWS default 256
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverDataset } from '../../dist/data/index.js';
import { readNifti } from '../../dist/io/nifti/index.js';
import { mean, psnrFromMse, regionMasks, sampleStd, scoreRegions, toModelUnits } from '../../dist/metrics/index.js';
import { generatorFor, phantomKey } from './phantom-cases.mjs';
import { t1ceRedraws } from './t1ce-redraws.mjs';

const [runDir, drawsArgument = '256'] = process.argv.slice(2);
const draws = Number(drawsArgument);
if (!runDir || !Number.isInteger(draws) || draws < 2) {
  console.error('usage: node scripts/quality/cwdm-t1ce-bound.mjs QUALITY/t1ce-cpu [DRAWS ≥ 2]');
  process.exit(2);
}

async function main() {
  const runJson = join(runDir, 'run', 'run.json');
  const { target } = JSON.parse(readFileSync(runJson, 'utf8'));
  if (target !== 't1ce') throw new Error(`${runJson} trains a model for ${target}; this bound is for T1ce, so give the t1ce run`);
  const demo = new Map(JSON.parse(readFileSync(join(runDir, 'demo-scores.json'), 'utf8')).map((row) => [row.case, row]));
  const heldOut = await discoverDataset(join(runDir, 'data', 'heldout'));
  let generator;
  const rows = [];
  for (const c of heldOut.cases) {
    if (!c.contrasts.t1ce) throw new Error(`held-out case ${c.id} has no T1ce volume`);
    const stored = (await readNifti(c.contrasts.t1ce)).volume;
    generator ??= await generatorFor(stored);
    const reference = toModelUnits(stored, 'cwdm');
    const masks = regionMasks(['brain'], stored.data, undefined, c.id);
    const inside = [];
    masks.get('brain').forEach((m, v) => { if (m) inside.push(v); });
    const { average, variance, standardError } = t1ceRedraws(generator, phantomKey(c.id), stored, c.contrasts.t1ce, inside, draws,
      (volume) => toModelUnits(volume, 'cwdm').data);
    const predictor = Float32Array.from(reference.data);
    inside.forEach((v, i) => { predictor[v] = average[i]; });

    const scored = demo.get(c.id);
    if (!scored) throw new Error(`${join(runDir, 'demo-scores.json')} has no row for held-out case ${c.id}`);
    const reached = scoreRegions({ ...reference, data: predictor }, reference, masks, { dataRange: 1 }).get('brain');
    const decibels = (mse) => psnrFromMse(mse, 1);
    rows.push({
      id: c.id, bound: decibels(variance), reached: reached.psnr, oracle: scored.baseline.brain.psnr, model: scored.model.brain.psnr,
      // Two standard errors of σ² either side, in dB (the upper end of σ² is the lower end of the bound).
      low: decibels(variance + 2 * standardError), high: decibels(Math.max(variance - 2 * standardError, 1e-12)),
    });
  }

  console.log(`${'case'.padEnd(19)}${'bound (± 2 s.e.)'.padStart(22)}${['mean of draws', 'oracle', 'model'].map((k) => k.padStart(15)).join('')}`
    + `   (brain PSNR dB; ${draws} redraws per case)`);
  for (const row of rows) {
    const bound = `${row.bound.toFixed(2)} (${row.low.toFixed(2)}–${row.high.toFixed(2)})`;
    console.log(`${row.id.padEnd(19)}${bound.padStart(22)}${[row.reached, row.oracle, row.model].map((x) => x.toFixed(2).padStart(15)).join('')}`);
  }
  const summary = (label, values) => `${label} ${mean(values).toFixed(2)} ± ${sampleStd(values).toFixed(2)} dB`;
  const above = (key) => rows.filter((row) => row[key] > row.oracle).length;
  const below = rows.filter((row) => row.high < row.oracle).length;
  console.log(`${summary('bound (expected, any model of T1, T2, FLAIR):', rows.map((r) => r.bound))}, above the oracle baseline on ${above('bound')} `
    + `of ${rows.length}; below it by more than 2 s.e. on ${below}`);
  console.log(`${summary('mean of the redraws on the held-out reference:', rows.map((r) => r.reached))}, above the oracle baseline on ${above('reached')} of ${rows.length}`);
  console.log(summary('oracle baseline:', rows.map((r) => r.oracle)));
  console.log(`${summary('model:', rows.map((r) => r.model))}, above the oracle baseline on ${above('model')} of ${rows.length}`);
}

// A missing folder or case is a message naming it, not a stack trace.
main().catch((error) => {
  console.error(`cwdm-t1ce-bound: ${error.message}`);
  process.exit(1);
});
