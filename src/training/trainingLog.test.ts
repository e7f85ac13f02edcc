import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingLog, type TrainStepEntry } from './trainingLog.js';

const entry = (step: number): TrainStepEntry => ({ kind: 'train', step, epoch: 0, loss: 1 / step, lr: 1e-3, seconds: 0.1 });

describe('TrainingLog', () => {
  test('appends one JSON line per entry; resuming drops what came after the checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-log-'));
    try {
      const path = join(dir, 'log.jsonl');
      const log = await TrainingLog.create(path);
      for (let step = 1; step <= 5; step++) log.append(entry(step));
      assert.deepEqual(await TrainingLog.read(path), [1, 2, 3, 4, 5].map(entry));
      const resumed = await TrainingLog.resume(path, 3);
      assert.deepEqual(await TrainingLog.read(path), [1, 2, 3].map(entry));
      resumed.append(entry(4));
      assert.deepEqual((await TrainingLog.read(path)).map((e) => e.step), [1, 2, 3, 4]);
      await TrainingLog.resume(join(dir, 'missing.jsonl'), 3);
      assert.deepEqual(await TrainingLog.read(join(dir, 'missing.jsonl')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
