import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CaseScore } from './caseScores.js';
import { parseResultsJson, resultsToJson, scoresToCsv } from './caseScores.js';
import { renderScoreMatrix } from './scoreMatrix.js';
import { comparePaired, summariseScores } from './summariseScores.js';

const row = (caseId: string, psnr: number, extra: Partial<CaseScore> = {}): CaseScore => ({
  caseId, target: 't2', region: 'brain', scores: { mse: 0.01, mae: 0.05, psnr, nmse: 0.1, ssim: 0.9 }, ...extra,
});

describe('summariseScores', () => {
  test('groups by target, source and region; mean and ddof-1 std per metric; non-finite values left out', () => {
    const rows = [row('a', 20), row('b', 22), row('c', Infinity), row('a', 30, { source: 't1' })];
    const [plain, fromT1] = summariseScores(rows, { resamples: 200 });
    assert.equal(plain.metrics.psnr.n, 2);
    assert.equal(plain.metrics.psnr.mean, 21);
    assert.equal(plain.metrics.psnr.std, Math.sqrt(2));
    assert.equal(plain.metrics.ssim.n, 3);
    assert.equal(fromT1.source, 't1');
    assert.equal(fromT1.metrics.psnr.mean, 30);
  });
});

describe('comparePaired', () => {
  test('per-case A − B over shared rows, with the rows found in one run only listed', () => {
    const a = [row('a', 21), row('b', 25), row('c', 30)];
    const b = [row('a', 20), row('b', 22), row('d', 10)];
    const { summaries, unmatched } = comparePaired(a, b, { seed: 1 });
    assert.equal(summaries[0].metrics.psnr.mean, 2); // differences 1 and 3
    assert.equal(summaries[0].metrics.psnr.std, Math.sqrt(2));
    assert.equal(summaries[0].metrics.ssim.mean, 0);
    assert.deepEqual(unmatched, ['c t2 brain (A only)', 'd t2 brain (B only)']);
    const { low, high } = summaries[0].metrics.psnr;
    assert.ok(low >= 1 && high <= 3 && low < 2 && high > 2);
  });
});

describe('results files', () => {
  test('CSV: header, one line per row, empty source for syntheses, inf/nan spelled for NumPy', () => {
    const csv = scoresToCsv([row('TCGA-DU-7294', Infinity), row('x,y', 20, { source: 't1', scores: { mse: Number.NaN, mae: 0, psnr: 20, nmse: 0, ssim: 1 } })]);
    assert.equal(csv, 'case,target,source,region,mse,mae,psnr,nmse,ssim\n'
      + 'TCGA-DU-7294,t2,,brain,0.01,0.05,inf,0.1,0.9\n"x,y",t2,t1,brain,nan,0,20,0,1\n');
  });
  test('JSON round-trips, Infinity and NaN included', () => {
    const rows = [row('a', Infinity, { source: 'flair' }), row('b', 12.5, { scores: { mse: Number.NaN, mae: 0, psnr: 12.5, nmse: 0, ssim: -0.25 } })];
    const back = parseResultsJson(resultsToJson({ settings: { seed: 0 }, rows }), 'mem');
    assert.deepEqual(back, { settings: { seed: 0 }, rows });
  });
  test('a malformed results file is refused, naming the file and the row', () => {
    assert.throws(() => parseResultsJson('{"rows": [{"caseId": "a", "target": "t9"}]}', 'run/scores.json'),
      /parseResultsJson: run\/scores.json: rows\[0\]: target must be a contrast, got "t9"/);
    assert.throws(() => parseResultsJson('[]', 'x.json'), /expected an object with a 'rows' array/);
  });
});

describe('renderScoreMatrix', () => {
  test('square over every contrast seen: rows sources, columns targets, cells PSNR / NMSE / SSIM; missing pairs show –', () => {
    const rows = [row('a', 20, { source: 't1' }), row('b', 22, { source: 't1' }), row('a', 25, { source: 'flair', target: 't1' })];
    const md = renderScoreMatrix(summariseScores(rows, { resamples: 10 }), 'brain');
    assert.equal(md, 'Region: brain. Cells: PSNR (dB) / NMSE / SSIM, means over cases. Rows: source; columns: target.\n\n'
      + '| source \\ target | t1 | t2 | flair |\n|---|---|---|---|\n'
      + '| t1 | – | 21.00 / 0.1000 / 0.9000 | – |\n| t2 | – | – | – |\n| flair | 25.00 / 0.1000 / 0.9000 | – | – |\n');
  });
});
