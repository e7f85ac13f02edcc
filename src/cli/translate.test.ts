import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAldmRun, writeCase } from '../completion/completionFixtures.testSupport.js';
import { capturedCommand } from './commandRunner.testSupport.js';
import { registerTranslateCommand } from './translate.js';

const translateCli = capturedCommand(registerTranslateCommand, 'translate');

describe('mrsynth translate', () => {
  let root: string;
  let data: string;
  let run: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'mrsynth-translate-cli-'));
    data = join(root, 'data');
    await writeCase(data, 'brats2021', 'Ph_020', 0, ['t1', 't2']);
    await writeCase(data, 'brats2021', 'Ph_021', 1, ['t2']);
    run = await writeAldmRun(join(root, 'run'), { seed: 2 });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('translates a data set with the reference\'s sampler unless told otherwise, says per case what it did, fails for the refused case', async () => {
    const { stdout, exitCode } = await translateCli(data, '--model', run, '--source', 'T1', '--to', 'flair,t1ce', '--steps', '2');
    assert.match(stdout, /^sampler: DDIM, 2 steps, η 1, fp32, seed 0, 1 sample\(s\) per translation$/m);
    assert.match(stdout, /^Ph_020: translated t1 → t1ce \(.*Ph_020_t1ce_from-t1\.nii\.gz\), t1 → flair \(.*Ph_020_flair_from-t1\.nii\.gz\) \(\d+\.\d s\)$/m);
    assert.match(stdout, /^Ph_021: refused: it has no t1 to translate from \(it has t2\)$/m);
    assert.match(stdout, /^2 case\(s\): 1 translated, 0 already done, 1 refused, 0 failed$/m);
    assert.equal(exitCode, 1);
  });

  test('one scan with --input, into the file --out names', async () => {
    const out = join(root, 'out', 't2.nii.gz');
    const { exitCode } = await translateCli('--input', join(data, 'Ph_020', 'Ph_020_t1.nii.gz'), '--model', run, '--source', 't1', '--to', 't2',
      '--steps', '2', '--out', out);
    assert.equal(exitCode, 0);
    assert.ok(existsSync(out) && existsSync(join(root, 'out', 't2.json')));
  });

  test('--first-stage decodes MS-SPADE\'s translation and says that no sampler runs', async () => {
    const { stdout, exitCode } = await translateCli(join(data, 'Ph_020'), '--model', run, '--source', 't1', '--to', 't2', '--first-stage',
      '--out', join(root, 'first-stage'));
    assert.equal(exitCode, 0);
    assert.match(stdout, /^no sampler: the first stage's translation, decoded; fp32$/m);
    assert.ok(existsSync(join(root, 'first-stage', 'Ph_020_t2_from-t1.nii.gz')));
  });

  test('flags that contradict each other are refused before the run is opened', async () => {
    await assert.rejects(translateCli(data, '--model', run), /give --source C \(the contrast to translate from\), or --matrix/);
    await assert.rejects(translateCli(data, '--model', run, '--matrix', '--source', 't1'), /--matrix translates every ordered pair a case has; it takes no --source or --to/);
    await assert.rejects(translateCli(data, '--model', run, '--source', 't1', '--save-samples'), /--save-samples keeps each of several samples; give --samples N ≥ 2/);
    await assert.rejects(translateCli(data, '--model', run, '--source', 'T3'), /unknown contrast 'T3'/);
    await assert.rejects(translateCli(data, '--input', 'x.nii.gz', '--model', run, '--source', 't1'), /give either a case or data set path, or --input FILE, got both/);
    await assert.rejects(translateCli(data, '--model', run, '--source', 't1', '--first-stage', '--steps', '5', '--seed', '3'),
      /--first-stage samples nothing \(it decodes the first stage's translation, the same every time\); it takes no --steps, --seed/);
    await assert.rejects(translateCli(data, '--model', run, '--source', 't1', '--first-stage', '--batch', '2'), /--first-stage samples nothing .*it takes no --batch/);
    await assert.rejects(translateCli(data, '--model', run, '--source', 't1', '--samples', '2', '--batch', '0'), /--batch <n>' argument '0' is invalid\. expected a positive integer/);
  });

  test('--samples 3 --batch 2 draws two samples together, then one, and records the batch and each sample\'s seed', async () => {
    const out = join(root, 'batched');
    const { exitCode } = await translateCli(join(data, 'Ph_020'), '--model', run, '--source', 't1', '--to', 't2', '--steps', '2',
      '--samples', '3', '--batch', '2', '--out', out);
    assert.equal(exitCode, 0);
    const sidecar = JSON.parse(readFileSync(join(out, 'Ph_020_t2_from-t1.json'), 'utf8')) as { batch: number; seed: { samples: string[] } };
    assert.equal(sidecar.batch, 2);
    assert.equal(new Set(sidecar.seed.samples).size, 3);
  });
});
