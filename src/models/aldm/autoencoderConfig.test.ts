import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAldmFixture } from './aldmFixture.testSupport.js';
import {
  AUTOENCODER_PRESETS, AUTOENCODER_PRESET_NAMES, autoencoderConfigFromReference, autoencoderSpatialMultiple, discriminatorWidths,
  parseAutoencoderConfig,
} from './autoencoderConfig.js';

describe('parseAutoencoderConfig', () => {
  test("code is the released yamls' VQ-GAN (spec §2); reference-tiny is what the fixture's metadata says", async () => {
    assert.deepEqual(parseAutoencoderConfig('code'), {
      inChannels: 1, outChannels: 1, ch: 64, chMult: [1, 1, 2], numResBlocks: 1, numGroups: 32, zChannels: 4, nEmbed: 8192, beta: 0.25,
      legacyLoss: true, spadeNf: 128, spadeHidden: 64, numClasses: 4, discNdf: 32, discLayers: 3,
    });
    assert.equal(autoencoderSpatialMultiple(parseAutoencoderConfig('code')), 4);
    assert.deepEqual(discriminatorWidths(parseAutoencoderConfig('code')), [64, 128, 256]);
    const { config } = await readAldmFixture();
    assert.deepEqual(autoencoderConfigFromReference(config), AUTOENCODER_PRESETS['reference-tiny']);
  });

  test('every preset parses to itself, is frozen, and round-trips through JSON', () => {
    for (const name of AUTOENCODER_PRESET_NAMES) {
      const config = parseAutoencoderConfig(name);
      assert.deepEqual(config, AUTOENCODER_PRESETS[name], name);
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.chMult), name);
      assert.deepEqual(parseAutoencoderConfig(JSON.parse(JSON.stringify(config))), config, name);
    }
  });

  test('a preset with changed fields: the paper\'s extra "fake" class would be a fifth contrast', () => {
    assert.deepEqual(parseAutoencoderConfig({ preset: 'code', numClasses: 5 }), { ...AUTOENCODER_PRESETS.code, numClasses: 5 });
  });

  test('refuses unknown presets and keys, missing fields and bad values, naming them', () => {
    const full = { ...AUTOENCODER_PRESETS['reference-tiny'] };
    const cases: [unknown, RegExp][] = [
      ['huge', /parseAutoencoderConfig: preset must be one of code, cpu, cpu-f2, reference-tiny, got "huge"/],
      [[1], /parseAutoencoderConfig: expected a preset name \(code, cpu, cpu-f2, reference-tiny\) or a config object, got \[1\]/],
      [{ ...full, attnResolutions: [] }, /parseAutoencoderConfig: unknown key 'attnResolutions'; expected only preset, inChannels/],
      [{ ch: 8 }, /parseAutoencoderConfig: missing 'inChannels' \(give every field or start from a preset\)/],
      [{ ...full, ch: 0 }, /ch must be a positive integer, got 0/],
      [{ ...full, nEmbed: 64.5 }, /nEmbed must be a positive integer, got 64.5/],
      [{ ...full, numClasses: '4' }, /numClasses must be a positive integer, got "4"/],
      [{ ...full, chMult: [] }, /chMult must be a non-empty list of positive integers, got \[\]/],
      [{ ...full, beta: -1 }, /beta must be a finite number ≥ 0, got -1/],
      [{ ...full, legacyLoss: 1 }, /legacyLoss must be true or false, got 1/],
      [{ preset: 'code', ch: 48 }, /ch 48 and every level's channels \(ch × chMult \[1,1,2\]\) must divide by numGroups 32; 48 does not/],
      [{ preset: 'code', ch: 16, chMult: [2, 2, 4] }, /must divide by numGroups 32; 16 does not/],
      [{ preset: 'code', discNdf: 8 },
        /the discriminator's GroupNorm'd widths \(discNdf 8 × 2, 4, …, at most 8, for 3 layers: \[16,32,64\]\) must divide by its 32 groups; 16 does not/],
    ];
    for (const [raw, message] of cases) assert.throws(() => parseAutoencoderConfig(raw), message, JSON.stringify(raw));
    assert.throws(() => autoencoderConfigFromReference({ ae_ch: 16 }), /autoencoderConfigFromReference: the reference config has no 'ae_ch_mult'/);
  });
});
