import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MEDICALNET_PRESETS, MEDICALNET_PRESET_NAMES, parseMedicalNetConfig } from './medicalNetConfig.js';

describe('parseMedicalNetConfig', () => {
  test('presets, a preset with changed fields, and a full config all parse to frozen configs that round-trip through JSON', () => {
    assert.deepEqual(parseMedicalNetConfig('pretrained'), { width: 64, batchCounters: false });
    assert.deepEqual(parseMedicalNetConfig({ preset: 'tiny', batchCounters: true }), { width: 8, batchCounters: true });
    for (const name of MEDICALNET_PRESET_NAMES) {
      const config = parseMedicalNetConfig(name);
      assert.ok(Object.isFrozen(config));
      assert.deepEqual(parseMedicalNetConfig(JSON.parse(JSON.stringify(config))), MEDICALNET_PRESETS[name]);
    }
  });

  test('refuses unknown presets and keys, missing fields and bad values, naming them', () => {
    assert.throws(() => parseMedicalNetConfig('resnet50'), /parseMedicalNetConfig: preset must be one of pretrained, tiny, got "resnet50"/);
    assert.throws(() => parseMedicalNetConfig({ preset: 'tiny', depth: 18 }), /unknown key 'depth'; expected only preset, width, batchCounters/);
    assert.throws(() => parseMedicalNetConfig({ width: 8 }), /missing 'batchCounters' \(give every field or start from a preset\)/);
    assert.throws(() => parseMedicalNetConfig({ preset: 'tiny', width: 8.5 }), /width must be a positive integer, got 8.5/);
    assert.throws(() => parseMedicalNetConfig({ preset: 'tiny', batchCounters: 'yes' }), /batchCounters must be true or false, got "yes"/);
    assert.throws(() => parseMedicalNetConfig(42), /expected a preset name \(pretrained, tiny\) or a config object, got 42/);
  });
});
