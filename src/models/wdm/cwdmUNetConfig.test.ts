import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CWDM_UNET_PRESETS, CWDM_UNET_PRESET_NAMES, cwdmInChannels, cwdmSpatialMultiple, parseCwdmUNetConfig,
} from './cwdmUNetConfig.js';

describe('parseCwdmUNetConfig', () => {
  test("paper is run.sh's network (spec §4.1); the oracle's is the fixture's", () => {
    const paper = parseCwdmUNetConfig('paper');
    assert.deepEqual(paper, { conditions: 3, modelChannels: 64, channelMult: [1, 2, 2, 4, 4], numResBlocks: 2, numGroups: 32, dropout: 0 });
    assert.equal(cwdmInChannels(paper), 32);
    assert.equal(cwdmSpatialMultiple(paper), 16);
    const oracle = parseCwdmUNetConfig('reference-tiny');
    assert.deepEqual(oracle, { conditions: 3, modelChannels: 32, channelMult: [1, 2], numResBlocks: 1, numGroups: 32, dropout: 0 });
  });

  test('every preset parses to itself, is frozen, and round-trips through JSON', () => {
    for (const name of CWDM_UNET_PRESET_NAMES) {
      const config = parseCwdmUNetConfig(name);
      assert.deepEqual(config, CWDM_UNET_PRESETS[name], name);
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.channelMult), name);
      assert.deepEqual(parseCwdmUNetConfig(JSON.parse(JSON.stringify(config))), config, name);
    }
  });

  test('the cpu preset fits a 48×48×32 wavelet grid; tiny fits 16³', () => {
    const cpu = parseCwdmUNetConfig('cpu');
    assert.ok([48, 48, 32].every((s) => s % cwdmSpatialMultiple(cpu) === 0));
    assert.ok(16 % cwdmSpatialMultiple(parseCwdmUNetConfig('tiny')) === 0);
  });

  test('a preset with changed fields: IXI has two conditions, so 24 input channels', () => {
    const ixi = parseCwdmUNetConfig({ preset: 'paper', conditions: 2 });
    assert.deepEqual(ixi, { ...CWDM_UNET_PRESETS.paper, conditions: 2 });
    assert.equal(cwdmInChannels(ixi), 24);
  });

  test('refuses unknown presets and keys, missing fields and bad values, naming them', () => {
    const full = { ...CWDM_UNET_PRESETS.tiny, channelMult: [1, 2, 2] };
    const cases: [unknown, RegExp][] = [
      ['huge', /parseCwdmUNetConfig: preset must be one of paper, cpu, tiny, reference-tiny, got "huge"/],
      [42, /parseCwdmUNetConfig: expected a preset name \(paper, cpu, tiny, reference-tiny\) or a config object, got 42/],
      [{ ...full, attention: true }, /parseCwdmUNetConfig: unknown key 'attention'; expected only preset, conditions, modelChannels/],
      [{ modelChannels: 8 }, /parseCwdmUNetConfig: missing 'conditions' \(give every field or start from a preset\)/],
      [{ ...full, conditions: 0 }, /conditions must be a positive integer, got 0/],
      [{ ...full, modelChannels: 4.5 }, /modelChannels must be a positive integer, got 4.5/],
      [{ ...full, channelMult: [] }, /channelMult must be a non-empty list of positive integers, got \[\]/],
      [{ ...full, channelMult: [1, 1.5] }, /channelMult must be a non-empty list of positive integers, got \[1,1.5\]/],
      [{ ...full, numResBlocks: 0 }, /numResBlocks must be a positive integer, got 0/],
      [{ ...full, dropout: 1 }, /dropout must be in \[0, 1\), got 1/],
      [{ preset: 'paper', modelChannels: 48 },
        /every level's channels \(modelChannels 48 × channelMult \[1,2,2,4,4\]\) must divide by numGroups 32; 48 does not/],
    ];
    for (const [raw, message] of cases) assert.throws(() => parseCwdmUNetConfig(raw), message, JSON.stringify(raw));
  });
});
