// One line per method over all cases, from the scores.json files `mrsynth eval` wrote (one per method, in a
// folder named eval-<method>): brain-masked PSNR and SSIM, mean ± std (ddof 1), and each case's PSNR. eval itself
// groups a baseline by its source contrast, which differs per case; the quality scripts want one line per method.
// With --versus FILE, each line also says how far its per-case PSNR lies from that file's on the same cases.
//
//   node scripts/quality/summarise-eval.mjs [--versus eval-ddim50/scores.json] eval-*/scores.json
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
// The mean and ddof-1 spread `mrsynth eval` reports, from the build the quality scripts run (bootstrap.js is pure
// arithmetic and loads no native code).
import { mean, sampleStd } from '../../dist/metrics/index.js';

const { values: flags, positionals: files } = parseArgs({ options: { versus: { type: 'string' } }, allowPositionals: true });

const methodName = (file) => basename(dirname(file)).replace(/^eval-/, '');
const brainRows = (file) => JSON.parse(readFileSync(file, 'utf8')).rows.filter((row) => row.region === 'brain');

const meanAndStd = (values, digits) => `${mean(values).toFixed(digits)} ± ${sampleStd(values).toFixed(digits)}`;

const versus = flags.versus === undefined ? undefined : new Map(brainRows(flags.versus).map((row) => [row.caseId, row.scores.psnr]));

for (const file of files) {
  const rows = brainRows(file);
  const psnr = rows.map((row) => row.scores.psnr);
  const ssim = rows.map((row) => row.scores.ssim);
  let line = `${methodName(file).padEnd(9)} PSNR ${meanAndStd(psnr, 2)} dB  SSIM ${meanAndStd(ssim, 4)}  n=${rows.length}`;
  if (versus !== undefined) {
    const differences = rows.filter((row) => versus.has(row.caseId)).map((row) => row.scores.psnr - versus.get(row.caseId));
    const largest = Math.max(...differences.map(Math.abs));
    line += `  PSNR − ${methodName(flags.versus)} on ${differences.length} shared case(s): mean ${mean(differences).toFixed(4)} dB, largest |Δ| ${largest.toFixed(4)} dB`;
  }
  const perCase = rows.map((row) => `${row.caseId} ${row.scores.psnr.toFixed(2)}${row.source ? ` (from ${row.source})` : ''}`).join(', ');
  console.log(`${line}: ${perCase}`);
}
