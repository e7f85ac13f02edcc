// How much the three tasks into T1ce of the ALDM quality run (issue 19) leave to gain over the trained affine baseline,
// whatever the model and its source.
//
// Each held-out T1ce is drawn again DRAWS times with everything only T1ce shows redrawn (t1ce-redraws.mjs), each mapped
// into the run's units by its own normalisation, as eval maps the reference. The brain mean of the redraws' per-voxel
// variance, σ², is the least expected squared error of any model of T1, T2 and FLAIR together on that case, so of any
// model of one of them (T2 and FLAIR know less than T1, whose sequence T1ce shares: theirs is a looser bound);
// 10·log10(R² / σ²) is that error as a PSNR. The gates compare mean PSNRs, and a scan's error varies from draw to draw,
// so what the ideal predictor (the redraws' mean) can expect in PSNR is higher than the PSNR of its expected error: each
// draw scored against it, averaged. That less the baseline is what the ideal predictor gains on the
// task, set beside each task's trained affine baseline (and the model, when given), per case and over the cases. Also
// the PSNR the mean of the redraws reaches on the held-out reference itself (the ideal predictor scored as a model is:
// one draw of what it can expect).
//
//   node scripts/quality/aldm-t1ce-bound.mjs --data OUT/data/heldout --units RUN --baseline OUT/eval/eval-trained-affine/scores.json \
//     [--model OUT/eval/eval-aldm/scores.json] [--draws 128] [--cases N]
//
// RUN is any run of the model (every stage shares stage 1's preprocessing); the scores.json files are `mrsynth eval
// --matrix`'s of the same cases in RUN's units (aldm-phantom.sh's). BraTS-style phantoms only (named
// Phantom<seed>_<index>, each T1ce checked to be the generator's). 128 draws took 13 minutes for 20 cases of 64 × 64 × 48
// (one thread, beside a two-thread training). Uses the built package (dist/).
import { readFileSync } from 'node:fs';
import { metrics, nifti } from '../../dist/index.js';
import { generatorFor, phantomKey } from './phantom-cases.mjs';
import { brainPsnr, meanStd, scanUnitsOptions } from './scan-units.mjs';
import { t1ceRedraws } from './t1ce-redraws.mjs';

const SOURCES = ['t1', 't2', 'flair'];

async function main() {
  const { dataDir, unitsDir, units, span, values, cases } = await scanUnitsOptions('1', {
    baseline: { type: 'string' }, model: { type: 'string' }, draws: { type: 'string', default: '128' },
  });
  const draws = Number(values.draws);
  if (!Number.isInteger(draws) || draws < 2) throw new Error(`--draws must be an integer ≥ 2, got '${values.draws}'`);
  if (values.baseline === undefined) throw new Error('give --baseline (the trained affine baseline\'s scores.json, eval --matrix)');
  const baseline = taskScores(values.baseline);
  const model = values.model === undefined ? undefined : taskScores(values.model);

  let generator;
  const rows = [];
  for (const c of cases) {
    if (!c.contrasts.t1ce) throw new Error(`${dataDir}: case ${c.id} has no T1ce volume`);
    const stored = (await nifti.readNifti(c.contrasts.t1ce)).volume;
    generator ??= await generatorFor(stored);
    const inside = [];
    stored.data.forEach((x, v) => { if (x !== 0) inside.push(v); });
    const toUnits = (volume) => metrics.toRunUnits(volume, units).data;
    const { average, drawErrors, variance, standardError } = t1ceRedraws(generator, phantomKey(c.id), stored, c.contrasts.t1ce, inside, draws, toUnits);
    const reference = toUnits(stored);
    const predictor = Float32Array.from(reference);
    inside.forEach((v, i) => { predictor[v] = average[i]; });
    const decibels = (mse) => metrics.psnrFromMse(mse, span);
    const scored = (scores, source) => scores?.psnr(`${source}>t1ce`, c.id);
    rows.push({
      id: c.id, expected: decibels(variance), reached: brainPsnr(predictor, reference, stored, span),
      // Two standard errors of σ² either side, in dB (the upper end of σ² is the lower end).
      low: decibels(variance + 2 * standardError), high: decibels(Math.max(variance - 2 * standardError, 1e-12)),
      ideal: metrics.mean(drawErrors.map(decibels)),
      baseline: Object.fromEntries(SOURCES.map((s) => [s, scored(baseline, s)])),
      model: Object.fromEntries(SOURCES.map((s) => [s, scored(model, s)])),
    });
  }

  const withModel = model !== undefined;
  console.log(`T1ce redrawn ${draws} times per case, ${rows.length} case(s) of ${dataDir}, in the units of ${unitsDir} (range ${span}); brain PSNR dB\n`);
  console.log(`| case | PSNR of the expected error (± 2 s.e.) | the ideal predictor's expected PSNR | mean of the redraws | ${SOURCES.map((s) => `baseline ${s}`).join(' | ')}${withModel ? ` | ${SOURCES.map((s) => `model ${s}`).join(' | ')}` : ''} |`);
  console.log(`|---|---|---|---|${SOURCES.map(() => '---|').join('')}${withModel ? SOURCES.map(() => '---|').join('') : ''}`);
  const f = (x) => x.toFixed(2);
  for (const r of rows) {
    console.log(`| ${r.id} | ${f(r.expected)} (${f(r.low)}–${f(r.high)}) | ${f(r.ideal)} | ${f(r.reached)} | ${SOURCES.map((s) => f(r.baseline[s])).join(' | ')}`
      + `${withModel ? ` | ${SOURCES.map((s) => f(r.model[s])).join(' | ')}` : ''} |`);
  }
  console.log(`\nPSNR of the expected error: ${meanStd(rows.map((r) => r.expected))} dB; the ideal predictor's expected PSNR: `
    + `${meanStd(rows.map((r) => r.ideal))} dB; the mean of the redraws on the held-out reference: ${meanStd(rows.map((r) => r.reached))} dB\n`);
  console.log(`| task | trained affine baseline | ${withModel ? 'model | model − baseline | ' : ''}the ideal predictor's expected gain | cases where the ideal predictor's expected PSNR is below the baseline |`);
  console.log(`|---|---|${withModel ? '---|---|' : ''}---|---|`);
  for (const s of SOURCES) {
    const base = metrics.mean(rows.map((r) => r.baseline[s]));
    const gain = metrics.mean(rows.map((r) => r.ideal)) - base;
    const below = rows.filter((r) => r.ideal < r.baseline[s]).length;
    const modelColumns = withModel ? `${f(metrics.mean(rows.map((r) => r.model[s])))} | ${f(metrics.mean(rows.map((r) => r.model[s])) - base)} | ` : '';
    console.log(`| ${s} → t1ce | ${f(base)} | ${modelColumns}${f(gain)} | ${below} of ${rows.length} |`);
  }
}

/** An eval --matrix scores.json's brain PSNR of a task (`source>target`) on a case; refuses one it lacks, naming the file. */
function taskScores(file) {
  const scores = new Map();
  for (const row of JSON.parse(readFileSync(file, 'utf8')).rows.filter((r) => r.region === 'brain' && r.source !== undefined)) {
    scores.set(`${row.source}>${row.target} ${row.caseId}`, row.scores.psnr);
  }
  return {
    psnr(task, caseId) {
      const psnr = scores.get(`${task} ${caseId}`);
      if (psnr === undefined) throw new Error(`${file} has no brain score of ${task.replace('>', ' → ')} for case ${caseId}`);
      return psnr;
    },
  };
}

// A missing folder, file or case is a message naming it, not a stack trace.
main().catch((error) => {
  console.error(`aldm-t1ce-bound: ${error.message}`);
  process.exit(1);
});
