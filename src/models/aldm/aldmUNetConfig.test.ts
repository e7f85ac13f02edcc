import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALDM_UNET_PRESETS, ALDM_UNET_PRESET_NAMES, aldmUNetConfigFromReference, aldmUNetSpatialMultiple, parseAldmUNetConfig,
} from './aldmUNetConfig.js';
import { readAldmFixture } from './aldmFixture.testSupport.js';

describe('parseAldmUNetConfig', () => {
  test("code is brats-ldm-vq-4.yaml's network (spec §3)", () => {
    const code = parseAldmUNetConfig('code');
    assert.deepEqual(code, {
      inChannels: 12, outChannels: 4, modelChannels: 128, channelMult: [1, 1, 2], numResBlocks: 1, attentionResolutions: [4, 2],
      numHeadChannels: 32, numClasses: 4, dropout: 0, conditioning: 'class', concat: 'code',
    });
    assert.equal(aldmUNetSpatialMultiple(code), 4);
  });

  test('every preset parses to itself, is frozen, and round-trips through JSON', () => {
    for (const name of ALDM_UNET_PRESET_NAMES) {
      const config = parseAldmUNetConfig(name);
      assert.deepEqual(config, ALDM_UNET_PRESETS[name], name);
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.channelMult) && Object.isFrozen(config.attentionResolutions), name);
      assert.deepEqual(parseAldmUNetConfig(JSON.parse(JSON.stringify(config))), config, name);
    }
  });

  test("the fixture's metadata maps to reference-tiny", async () => {
    const { config } = await readAldmFixture();
    assert.deepEqual(aldmUNetConfigFromReference(config), ALDM_UNET_PRESETS['reference-tiny']);
    const { unet_model_channels: _dropped, ...incomplete } = config;
    assert.throws(() => aldmUNetConfigFromReference(incomplete), /aldmUNetConfigFromReference: the reference config has no 'unet_model_channels'/);
  });

  test("a preset with changed fields: the paper's concatenation takes 8 channels", () => {
    const paper = parseAldmUNetConfig({ preset: 'code', concat: 'paper', inChannels: 8 });
    assert.deepEqual(paper, { ...ALDM_UNET_PRESETS.code, concat: 'paper', inChannels: 8 });
    assert.equal(parseAldmUNetConfig({ preset: 'code', conditioning: 'crossattn' }).conditioning, 'crossattn');
  });

  test('refuses unknown presets and keys, missing fields and bad values, naming them', () => {
    const full = { ...ALDM_UNET_PRESETS['reference-tiny'] };
    const cases: [unknown, RegExp][] = [
      ['huge', /parseAldmUNetConfig: preset must be one of code, paper-unet, cpu, cpu-f2, reference-tiny, got "huge"/],
      [7, /parseAldmUNetConfig: expected a preset name \(code, paper-unet, cpu, cpu-f2, reference-tiny\) or a config object, got 7/],
      [{ ...full, numGroups: 8 }, /parseAldmUNetConfig: unknown key 'numGroups'; expected only preset, inChannels, outChannels/],
      [{ modelChannels: 64 }, /parseAldmUNetConfig: missing 'inChannels' \(give every field or start from a preset\)/],
      [{ ...full, modelChannels: 0 }, /modelChannels must be a positive integer, got 0/],
      [{ ...full, numHeadChannels: 2.5 }, /numHeadChannels must be a positive integer, got 2.5/],
      [{ ...full, numClasses: '4' }, /numClasses must be a positive integer, got "4"/],
      [{ ...full, channelMult: [] }, /channelMult must be a non-empty list of positive integers, got \[\]/],
      [{ ...full, channelMult: [2, 2] }, /channelMult must start with 1 \(the first and last convs work at modelChannels\), got \[2,2\]/],
      [{ ...full, dropout: -0.1 }, /dropout must be in \[0, 1\), got -0.1/],
      [{ ...full, conditioning: 'text' }, /conditioning must be one of class, crossattn, got "text"/],
      [{ ...full, concat: 'all' }, /concat must be one of code, paper, got "all"/],
      [{ ...full, concat: 'paper' }, /concat 'paper' stacks 2 latents of outChannels 4, so inChannels must be 8, got 12/],
      [{ ...full, outChannels: 3 }, /concat 'code' stacks 3 latents of outChannels 3, so inChannels must be 9, got 12/],
      [{ ...full, attentionResolutions: [8] },
        /attentionResolutions must list downsampling factors of this network's levels \(1, 2, 4\), got \[8\]/],
      [{ ...full, attentionResolutions: 4 }, /attentionResolutions must list downsampling factors .* got 4/],
      [{ ...full, modelChannels: 48 },
        /every level's channels \(modelChannels 48 × channelMult \[1,1,1\]\) must divide by the 32 GroupNorm groups; 48 does not/],
      [{ preset: 'code', numHeadChannels: 96 },
        /numHeadChannels 96 must divide the channels of every attention block \(128, 256\); 128 does not/],
    ];
    for (const [raw, message] of cases) assert.throws(() => parseAldmUNetConfig(raw), message, JSON.stringify(raw));
  });
});
