import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRun } from '../../completion/completionFixtures.testSupport.js';
import { exampleRunConfig } from '../../runs/runConfig.testSupport.js';
import { RUN_FILES } from '../../runs/index.js';
import { openRun } from '../index.js';
import { cwdmMethod } from './cwdmMethod.js';

describe('the cWDM method', () => {
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-cwdm-method-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('its network config must take as many conditions as the run lists', () => {
    const config = exampleRunConfig();
    assert.equal(cwdmMethod.parseConfig(config.methodConfig, config.conditions).conditions, 3);
    assert.throws(() => cwdmMethod.parseConfig(config.methodConfig, ['t1', 't2']),
      /methodConfig.conditions is 3 but 2 conditions are listed \(t1, t2\)/);
  });

  test('openRun: a run whose network config does not match its conditions, or whose units are not [0, 1], is refused naming it', async () => {
    const dir = await writeRun(join(root, 'run'), 't1ce', ['t1', 't2', 'flair']);
    const opened = await openRun(dir);
    assert.equal(opened.pipeline.schedule.predictionType, 'sample', 'the prediction type run.json records');
    assert.deepEqual(opened.pipeline.outputRange, [0, 1]);
    opened.pipeline.dispose();

    const path = join(dir, RUN_FILES.config);
    const raw = JSON.parse(await fs.readFile(path, 'utf8')) as { conditions: string[]; preprocess: { steps: { kind: string }[] } };
    await fs.writeFile(path, JSON.stringify({ ...raw, conditions: ['t1', 't2'] }));
    await assert.rejects(openRun(dir), /methodConfig.conditions is 3 but 2 conditions are listed \(t1, t2\)/);
    await fs.writeFile(path, JSON.stringify({ ...raw, preprocess: { ...raw.preprocess, steps: raw.preprocess.steps.filter((s) => s.kind !== 'intensity') } }));
    await assert.rejects(openRun(dir), /openRun\(.*run\): a cWDM run must normalise each contrast to \[0, 1\] exactly once, got intensity steps \[\]/);
  });
});
