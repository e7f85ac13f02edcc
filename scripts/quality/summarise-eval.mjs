// One line per method over all cases, from the scores.json files `mrsynth eval` wrote (one per method, in a
// folder named eval-<method>): brain-masked PSNR and SSIM, mean ± std (ddof 1), and each case's PSNR. eval itself
// groups a baseline by its source contrast, which differs per case; the quality scripts want one line per method.
// With --versus FILE, each line also says how far its per-case PSNR lies from that file's on the same cases.
//
//   node scripts/quality/summarise-eval.mjs [--versus eval-ddim50/scores.json] eval-*/scores.json
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';

const { values: flags, positionals: files } = parseArgs({ options: { versus: { type: 'string' } }, allowPositionals: true });

const methodName = (file) => basename(dirname(file)).replace(/^eval-/, '');
const brainRows = (file) => JSON.parse(readFileSync(file, 'utf8')).rows.filter((row) => row.region === 'brain');

function meanAndStd(values, digits) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : NaN;
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

const versus = flags.versus === undefined ? undefined : new Map(brainRows(flags.versus).map((row) => [row.caseId, row.scores.psnr]));

for (const file of files) {
  const rows = brainRows(file);
  const psnr = rows.map((row) => row.scores.psnr);
  const ssim = rows.map((row) => row.scores.ssim);
  let line = `${methodName(file).padEnd(9)} PSNR ${meanAndStd(psnr, 2)} dB  SSIM ${meanAndStd(ssim, 4)}  n=${rows.length}`;
  if (versus !== undefined) {
    const differences = rows.filter((row) => versus.has(row.caseId)).map((row) => row.scores.psnr - versus.get(row.caseId));
    const largest = Math.max(...differences.map(Math.abs));
    line += `  PSNR − ${methodName(flags.versus)} on ${differences.length} shared case(s): mean ${(differences.reduce((a, b) => a + b, 0) / differences.length).toFixed(4)} dB, largest |Δ| ${largest.toFixed(4)} dB`;
  }
  const perCase = rows.map((row) => `${row.caseId} ${row.scores.psnr.toFixed(2)}${row.source ? ` (from ${row.source})` : ''}`).join(', ');
  console.log(`${line}: ${perCase}`);
}
