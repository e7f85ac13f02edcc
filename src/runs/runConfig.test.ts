import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';
import { configDifferences, configHash, parseAnyRunConfig, parseRunConfig, type RunConfig } from './runConfig.js';
import { exampleRunConfig } from './runConfig.testSupport.js';

/** A copy of `config` with `edit` applied to its JSON form. */
function edited(config: RunConfig, edit: (raw: any) => void): RunConfig {
  const raw = JSON.parse(JSON.stringify(config));
  edit(raw);
  return parseRunConfig(raw);
}

describe('RunConfig', () => {
  test('round-trips through JSON to an equal, frozen config', () => {
    const config = exampleRunConfig();
    assert.deepEqual(parseRunConfig(JSON.parse(JSON.stringify(config))), config);
    assert.ok(Object.isFrozen(config.training) && Object.isFrozen(config.methodConfig.channelMult));
  });

  test("schedule.timestepSpacing: 'ldm' is recorded and changes the hash; 'guided' is what its absence means", () => {
    const config = exampleRunConfig();
    const ldm = edited(config, (r) => { r.schedule.timestepSpacing = 'ldm'; });
    assert.equal(ldm.schedule.timestepSpacing, 'ldm');
    assert.deepEqual(parseRunConfig(JSON.parse(JSON.stringify(ldm))), ldm);
    assert.notEqual(configHash(ldm), configHash(config));
    const guided = edited(config, (r) => { r.schedule.timestepSpacing = 'guided'; });
    assert.deepEqual(guided, config);
    assert.equal(configHash(guided), configHash(config));
    assert.throws(() => edited(config, (r) => { r.schedule.timestepSpacing = 'karras'; }),
      /schedule\.timestepSpacing must be one of guided, ldm, got "karras"/);
  });

  test('refuses bad fields by name and value', () => {
    assert.throws(() => edited(exampleRunConfig(), (r) => { r.target = 't3'; }), /parseRunConfig: target must be one of t1, t1ce, t2, flair, pd, got "t3"/);
    assert.throws(() => edited(exampleRunConfig(), (r) => { r.conditions = ['t1', 't1ce']; }),
      /conditions \["t1","t1ce"\] must be distinct and must not include the target 't1ce'/);
    assert.throws(() => edited(exampleRunConfig(), (r) => { r.training.lr = 0; }), /training.lr must be a learning rate > 0, got 0/);
    assert.throws(() => edited(exampleRunConfig(), (r) => { r.training.momentum = 0.9; }), /training: unknown key 'momentum'/);
    assert.throws(() => edited(exampleRunConfig(), (r) => { r.formatVersion = 3; }), /formatVersion 3 is not supported \(this build reads 1 and 2\)/);
  });

  test('a learning-rate decay round-trips, counts in the hash, and is refused when its window or final rate make no sense', () => {
    const config = exampleRunConfig();
    const decayed = edited(config, (r) => { r.training.lrDecay = { shape: 'cosine', from: 100, to: 200, final: 0 }; });
    assert.deepEqual(parseRunConfig(JSON.parse(JSON.stringify(decayed))), decayed);
    assert.notEqual(configHash(decayed), configHash(config));
    const decay = (d: object) => () => edited(config, (r) => { r.training.lrDecay = { shape: 'linear', from: 0, to: 10, final: 0, ...d }; });
    assert.throws(decay({ shape: 'step' }), /training.lrDecay.shape must be one of linear, cosine, got "step"/);
    assert.throws(decay({ from: 10 }), /training.lrDecay.to must be a step after from \(10\), got 10/);
    assert.throws(decay({ from: -1 }), /training.lrDecay.from must be a step ≥ 0, got -1/);
    assert.throws(decay({ final: 0.5 }), /training.lrDecay.final must be a learning rate in \[0, lr = 0.001\], got 0.5/);
    assert.throws(decay({ warmup: 5 }), /training.lrDecay: unknown key 'warmup'/);
  });

  test('the hash ignores the step count, the software versions and the data\'s voxel size, and names what else changed', () => {
    const config = exampleRunConfig();
    const longer = edited(config, (r) => { r.training.steps = 5000; r.createdWith.mrsynth = '0.2.0'; r.data.voxelSize = [3, 3, 3]; });
    assert.equal(configHash(longer), configHash(config));
    assert.deepEqual(longer.data.voxelSize, [3, 3, 3]);
    assert.throws(() => edited(config, (r) => { r.data.voxelSize = [3, 0, 3]; }), /data.voxelSize must be three voxel sizes in mm > 0, got \[3,0,3\]/);
    assert.match(configHash(config), /^[0-9a-f]{16}$/);
    const changed = edited(config, (r) => { r.training.lr = 2e-4; r.training.gradClip = 1; r.methodConfig.modelChannels = 8; });
    assert.notEqual(configHash(changed), configHash(config));
    assert.deepEqual(configDifferences(config, changed),
      ['methodConfig.modelChannels: 4 → 8', 'training.gradClip: (absent) → 1', 'training.lr: 0.001 → 0.0002']);
  });

  test('a run.json without origin (written before it existed) is a trained run and keeps its hash', () => {
    const config = edited(exampleRunConfig(), (r) => { r.training.randomStreams = 'sequential'; });
    assert.deepEqual(config.origin, { kind: 'trained' });
    const { origin: _absent, ...old } = JSON.parse(JSON.stringify(config));
    assert.deepEqual(parseRunConfig(old), config);
    // The hash this config had before run.json had an origin (pinned from that build, format 1 with sequential streams).
    assert.equal(configHash(config), 'f80bd17c3a875151');
  });

  test('a format-1 run.json (the committed pinned run) reads as the format-2 config that says the same, with the same hash', () => {
    const raw = JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'test-fixtures', 'pinned', 'run', 'run.json'), 'utf8'));
    assert.equal(raw.formatVersion, 1);
    const config = parseRunConfig(raw);
    assert.equal(config.formatVersion, 2);
    assert.equal(config.method, 'cwdm');
    assert.deepEqual(config.methodConfig, raw.modelConfig);
    assert.deepEqual(config.weights, { unet: 'weights.safetensors' });
    assert.deepEqual(config.schedule, { ...raw.schedule, predictionType: 'sample' });
    assert.deepEqual(config.training, { ...raw.training, randomStreams: 'sequential' });
    assert.ok(!('model' in config) && !('modelConfig' in config));
    // Written back and read again, it is the same config; its hash is the one format 1 gave it (see configHash).
    assert.deepEqual(parseRunConfig(JSON.parse(JSON.stringify(config))), config);
    assert.equal(configHash(config), configHash(parseRunConfig({ ...raw, createdWith: { mrsynth: '9.9.9', libtorch: 'x' } })));
    assert.notEqual(configHash(config), configHash(edited(config, (r) => { r.training.randomStreams = 'keyed'; })));
    assert.throws(() => parseRunConfig({ ...raw, model: 'aldm' }), /a format-1 run.json has model "cwdm", got "aldm"/);
    assert.throws(() => parseRunConfig({ ...JSON.parse(JSON.stringify(config)), weights: { unet: '../x.safetensors' } }),
      /weights.unet must be a file name in the run folder like "weights.safetensors", got "..\/x.safetensors"/);
    assert.throws(() => parseRunConfig({ ...JSON.parse(JSON.stringify(config)), weights: { unet: 'a.safetensors', codec: 'a.safetensors' } }),
      /two networks share a file/);
  });
});

describe('RunConfig of an imported run', () => {
  const sha = 'ab'.repeat(32);
  const imported = () => {
    const { training: _t, data: _d, ...raw } = JSON.parse(JSON.stringify(exampleRunConfig()));
    return { ...raw, origin: { kind: 'imported', from: 'pytorch', source: '/ckpt/brats_1200000.pt', sourceSha256: sha, sourcePrefix: '' } };
  };

  test('round-trips, has no training settings, and its hash names the source checkpoint', () => {
    const config = parseAnyRunConfig(imported());
    assert.equal(config.origin.kind, 'imported');
    assert.ok(!('training' in config) && !('data' in config));
    assert.deepEqual(parseAnyRunConfig(JSON.parse(JSON.stringify(config))), config);
    const other = parseAnyRunConfig({ ...imported(), origin: { ...imported().origin, sourceSha256: 'cd'.repeat(32) } });
    assert.notEqual(configHash(other), configHash(config));
    assert.deepEqual(configDifferences(config, other), [`origin.sourceSha256: "${sha}" → "${'cd'.repeat(32)}"`]);
  });

  test('refuses training settings, a bad origin, and training use', () => {
    assert.throws(() => parseAnyRunConfig({ ...imported(), training: exampleRunConfig().training }),
      /parseRunConfig \(an imported run has no training settings\): unknown key 'training'/);
    assert.throws(() => parseAnyRunConfig({ ...imported(), origin: { ...imported().origin, sourceSha256: 'abc' } }),
      /origin.sourceSha256 must be 64 lower-case hex digits, got "abc"/);
    assert.throws(() => parseAnyRunConfig({ ...imported(), origin: { kind: 'downloaded' } }), /origin.kind must be "trained" or "imported", got "downloaded"/);
    assert.throws(() => parseRunConfig(imported()),
      /parseRunConfig: the run was imported \(weights converted from the pytorch checkpoint \/ckpt\/brats_1200000\.pt \(sha256 abababababab…\)\), not trained/);
  });
});
