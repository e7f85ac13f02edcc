// Issue 19's translation gates over the 12 tasks (source → target), from the scores.json files `mrsynth eval --matrix`
// wrote for the ALDM translations and for the trained affine baseline (and, reported beside them, the oracle affine
// floor): brain-masked mean PSNR and SSIM per task, the model's gain over the trained baseline, and the gates —
// each task's mean PSNR above the trained baseline's; over the 12 tasks a mean gain ≥ 1 dB and a mean SSIM above the
// baseline's. With --reconstruction (eval of `mrsynth reconstruct`) and --floor, also the autoencoder's gate: per
// contrast, the mean reconstruction PSNR ≥ the best oracle affine floor into that contrast + 2 dB. Each task's gain carries
// a 95 % bootstrap interval over its cases (2,000 resamples of the per-case gains, percentile, a fixed seed).
//
//   node scripts/quality/aldm-gates.mjs --model eval-aldm/scores.json --baseline eval-trained/scores.json \
//     [--floor eval-oracle/scores.json] [--reconstruction eval-reconstruction/scores.json] [--baseline-name NAME] [--summary FILE]
//   node scripts/quality/aldm-gates.mjs --floor eval-oracle/scores.json --reconstruction eval-reconstruction/scores.json
//
// With --floor and --reconstruction alone (no --model), only the autoencoder's gate: stage 1 checked before the later
// stages are trained on it.
//
// --baseline-name names another baseline than the trained affine one, and the table is then only a comparison, with no
// gates: set against the model's own fp32 translations, a bf16 run's gains are what bf16 sampling costs. --summary also
// writes the comparison's totals as JSON (tasks, meanGain, meanSsim, baselineMeanSsim, below: the tasks at or below the
// baseline), for a script that chooses between runs by them (aldm-phantom-ab.sh).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mean } from '../../dist/metrics/index.js';

const { values: flags } = parseArgs({
  options: {
    model: { type: 'string' }, baseline: { type: 'string' }, floor: { type: 'string' }, reconstruction: { type: 'string' },
    'baseline-name': { type: 'string' }, summary: { type: 'string' },
  },
});
const autoencoderOnly = flags.model === undefined && flags.baseline === undefined;
if (autoencoderOnly ? flags.floor === undefined || flags.reconstruction === undefined : flags.model === undefined || flags.baseline === undefined) {
  throw new Error('aldm-gates: give --model and --baseline (scores.json files), or --floor and --reconstruction alone for the autoencoder\'s gate');
}

/** Brain rows of a scores.json by task, `source>target`. */
const byTask = (file) => {
  const tasks = new Map();
  for (const row of JSON.parse(readFileSync(file, 'utf8')).rows.filter((r) => r.region === 'brain')) {
    if (row.source === undefined) throw new Error(`aldm-gates: ${file} holds a synthesis of ${row.target} for ${row.caseId} without a source`);
    const key = `${row.source}>${row.target}`;
    tasks.set(key, [...(tasks.get(key) ?? []), row]);
  }
  return tasks;
};
const floor = flags.floor === undefined ? undefined : byTask(flags.floor);

/**
 * Prints the autoencoder's gate per contrast (mean reconstruction PSNR ≥ the best oracle affine floor into it + 2 dB)
 * and returns whether every contrast meets it.
 */
function autoencoderGate(reconstructionFile) {
  let met = true;
  console.log('\n| contrast | cases | reconstruction PSNR | best oracle affine floor into it | gate (floor + 2 dB) |\n|---|---|---|---|---|');
  const rows = JSON.parse(readFileSync(reconstructionFile, 'utf8')).rows.filter((r) => r.region === 'brain');
  for (const contrast of [...new Set(rows.map((r) => r.target))]) {
    const psnr = mean(rows.filter((r) => r.target === contrast).map((r) => r.scores.psnr));
    const floors = [...floor].filter(([task]) => task.endsWith(`>${contrast}`)).map(([task, taskRows]) => [task.split('>')[0], mean(taskRows.map((r) => r.scores.psnr))]);
    const [source, best] = floors.reduce((a, b) => (b[1] > a[1] ? b : a));
    const ok = psnr >= best + 2;
    met &&= ok;
    console.log(`| ${contrast} | ${rows.filter((r) => r.target === contrast).length} | ${psnr.toFixed(2)} | ${best.toFixed(2)} (from ${source}) | ${ok ? 'met' : 'not met'} |`);
  }
  return met;
}

if (autoencoderOnly) {
  console.log(`autoencoder gate ${autoencoderGate(flags.reconstruction) ? 'met' : 'not met'}`);
  process.exit(0);
}
const model = byTask(flags.model);
const baseline = byTask(flags.baseline);

/** The 95 % percentile bootstrap interval of the mean of `values`: 2,000 resamples drawn by a seeded mulberry32. */
function bootstrapInterval(values, resamples = 2000) {
  let state = 0x9e3779b9;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const means = Array.from({ length: resamples }, () => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)];
    return sum / values.length;
  }).sort((a, b) => a - b);
  return [means[Math.floor(0.025 * resamples)], means[Math.ceil(0.975 * resamples) - 1]];
}

const gated = flags['baseline-name'] === undefined;
const baselineName = flags['baseline-name'] ?? 'trained affine';
const lines = [`| task | cases | ALDM PSNR | ${baselineName} PSNR | gain dB | gain 95 % interval | ALDM SSIM | ${baselineName} SSIM | oracle affine PSNR | cases won |`,
  '|---|---|---|---|---|---|---|---|---|---|'];
const gains = [];
const ssims = { model: [], baseline: [] };
const misses = [];
for (const [task, rows] of [...model].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const reference = new Map((baseline.get(task) ?? []).map((r) => [r.caseId, r.scores]));
  const shared = rows.filter((r) => reference.has(r.caseId));
  if (shared.length === 0) throw new Error(`aldm-gates: no case of task ${task} has a baseline score in ${flags.baseline}`);
  const psnr = mean(shared.map((r) => r.scores.psnr));
  const basePsnr = mean(shared.map((r) => reference.get(r.caseId).psnr));
  const ssim = mean(shared.map((r) => r.scores.ssim));
  const baseSsim = mean(shared.map((r) => reference.get(r.caseId).ssim));
  const won = shared.filter((r) => r.scores.psnr > reference.get(r.caseId).psnr).length;
  const oracle = floor?.get(task);
  gains.push(psnr - basePsnr);
  ssims.model.push(ssim);
  ssims.baseline.push(baseSsim);
  if (!(psnr > basePsnr)) misses.push(task);
  const [source, target] = task.split('>');
  const [low, high] = bootstrapInterval(shared.map((r) => r.scores.psnr - reference.get(r.caseId).psnr));
  lines.push(`| ${source} → ${target} | ${shared.length} | ${psnr.toFixed(2)} | ${basePsnr.toFixed(2)} | ${(psnr - basePsnr).toFixed(2)} | `
    + `${low.toFixed(2)} to ${high.toFixed(2)} | ${ssim.toFixed(4)} | `
    + `${baseSsim.toFixed(4)} | ${oracle === undefined ? '' : mean(oracle.map((r) => r.scores.psnr)).toFixed(2)} | ${won}/${shared.length} |`);
}
console.log(lines.join('\n'));
const meanGain = mean(gains);
const meanSsims = `mean SSIM ${mean(ssims.model).toFixed(4)} against ${mean(ssims.baseline).toFixed(4)}`;
if (flags.summary !== undefined) {
  const summary = { tasks: model.size, meanGain, meanSsim: mean(ssims.model), baselineMeanSsim: mean(ssims.baseline), below: misses };
  writeFileSync(`${flags.summary}.part`, `${JSON.stringify(summary, null, 2)}\n`);
  renameSync(`${flags.summary}.part`, flags.summary);
}
if (!gated) {
  console.log(`\n${model.size} task(s); mean gain over ${baselineName} ${meanGain.toFixed(2)} dB, ${meanSsims}`);
  process.exit(0);
}
console.log(`\n${model.size} task(s); mean gain over the trained affine baseline ${meanGain.toFixed(2)} dB (gate ≥ 1), ${meanSsims} (gate: above)`);
console.log(misses.length === 0 ? 'every task above the trained baseline' : `tasks at or below the trained baseline: ${misses.join(', ')}`);
const reconstructionMet = flags.reconstruction === undefined || floor === undefined || autoencoderGate(flags.reconstruction);
const met = misses.length === 0 && meanGain >= 1 && mean(ssims.model) > mean(ssims.baseline) && reconstructionMet;
console.log(`gates ${met ? 'met' : 'not met'}`);
