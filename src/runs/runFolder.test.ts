import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash } from './runConfig.js';
import { exampleRunConfig } from './runConfig.testSupport.js';
import { RUN_FILES, RUN_WEIGHTS_FORMAT, readRun, readRunConfig, runWeightsMetadata, writeRunConfig } from './runFolder.js';

describe('run folder', () => {
  test('a run.json nested 100,000 levels is refused by depth, naming it, not by a stack overflow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-run-'));
    try {
      writeFileSync(join(dir, RUN_FILES.config), `{"format":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
      await assert.rejects(readRunConfig(dir), /readRunConfig\(.*run\.json\): the JSON nests 100001 levels deep, more than the 64/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('round-trips its config; readRun wants the weights file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-run-'));
    try {
      await writeRunConfig(dir, exampleRunConfig());
      assert.deepEqual(await readRunConfig(dir), exampleRunConfig());
      await assert.rejects(readRun(dir), /readRun: .* has run.json but not weights.safetensors, the weights of 'unet'/);
      writeFileSync(join(dir, RUN_FILES.weights), '');
      assert.equal((await readRun(dir)).weightPaths.unet, join(dir, RUN_FILES.weights));
      await assert.rejects(readRunConfig(join(dir, 'nothing')), /readRunConfig: .*nothing is not a run folder/);
      writeFileSync(join(dir, RUN_FILES.config), '{"format": "mrsynth-run"}');
      await assert.rejects(readRunConfig(dir), /readRunConfig\(.*run.json\): parseRunConfig: unknown key|missing 'formatVersion'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('weights metadata carries the step and the config hash', () => {
    const config = exampleRunConfig();
    assert.deepEqual(runWeightsMetadata(config, 12), { format: RUN_WEIGHTS_FORMAT, step: '12', config_hash: configHash(config) });
  });
});
