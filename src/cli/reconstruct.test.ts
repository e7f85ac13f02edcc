import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAldmRun, writeCase } from '../completion/completionFixtures.testSupport.js';
import { capturedCommand } from './commandRunner.testSupport.js';
import { registerReconstructCommand } from './reconstruct.js';

const reconstructCli = capturedCommand(registerReconstructCommand, 'reconstruct');
let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'mrsynth-reconstruct-cli-')); });
after(() => rmSync(root, { recursive: true, force: true }));

test('mrsynth reconstruct writes each contrast through the codec into --out, says so per case, and refuses writing over the inputs', async () => {
  const data = join(root, 'data');
  await writeCase(data, 'brats2021', 'Ph_050', 0, ['t1', 'flair']);
  const run = await writeAldmRun(join(root, 'run'));
  const { stdout, exitCode } = await reconstructCli(data, '--model', run, '--out', join(root, 'out'));
  assert.equal(exitCode, 0);
  assert.match(stdout, /^Ph_050: reconstructed .*Ph_050_t1\.nii\.gz, .*Ph_050_flair\.nii\.gz \(\d+\.\d s\)$/m);
  assert.ok(existsSync(join(root, 'out', 'Ph_050', 'Ph_050_t1.json')));
  const over = await reconstructCli(data, '--model', run, '--out', data);
  assert.equal(over.exitCode, 1);
  assert.match(over.stdout, /Ph_050: refused: it would write over its input/);
});
