import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parsePreprocessConfig, PRESET_NAMES } from './preprocessConfig.js';

describe('parsePreprocessConfig', () => {
  test('named presets expand to their steps, are frozen and round-trip through JSON', () => {
    for (const name of PRESET_NAMES.filter((n) => n !== 'custom')) {
      const config = parsePreprocessConfig(name);
      assert.equal(config.preset, name);
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.steps) && Object.isFrozen(config.steps[0]));
      assert.deepEqual(parsePreprocessConfig(JSON.parse(JSON.stringify(config))), config);
    }
    assert.deepEqual(parsePreprocessConfig('reference').steps, [
      { kind: 'intensity', lower: 0.1, upper: 99.9, range: [0, 1], clip: true },
      { kind: 'window', start: [8, 8, 0], shape: [224, 224, 160] },
    ]);
    assert.deepEqual(parsePreprocessConfig({ preset: 'aldm' }).steps.map((s) => s.kind), ['reorient', 'crop', 'pad', 'intensity']);
  });

  test('custom steps fill defaults and expand scalars', () => {
    const config = parsePreprocessConfig({ steps: [{ kind: 'resample', spacing: 2 }, { kind: 'pad', multiple: 16 }] });
    assert.deepEqual(config, {
      preset: 'custom',
      steps: [{ kind: 'resample', spacing: [2, 2, 2], interpolation: 'linear' }, { kind: 'pad', multiple: [16, 16, 16] }],
    });
    assert.deepEqual(parsePreprocessConfig(JSON.parse(JSON.stringify(config))), config);
  });

  test('bad input names the field, the value and what was expected', () => {
    const bad: [unknown, RegExp][] = [
      ['nnunet', /preset must be one of cwdm, cwdm-brainbox, aldm, aldm-brainbox, reference, custom, got "nnunet"/],
      [{ preset: 'custom' }, /preset 'custom' needs a 'steps' list/],
      [{ steps: [] }, /steps must be a non-empty list, got \[\]/],
      [{ steps: [{ kind: 'blur' }] }, /steps\[0\]\.kind must be one of reorient, intensity, crop, pad, window, resample, got "blur"/],
      [{ steps: [{ kind: 'crop', margin: 3 }] }, /steps\[0\]: unknown key 'margin'; expected only kind/],
      [{ steps: [{ kind: 'pad', shape: 8, multiple: 4 }] }, /give exactly one of 'shape' and 'multiple'/],
      [{ steps: [{ kind: 'pad', shape: [8, 0, 8] }] }, /steps\[0\]\.shape must be positive integers, got \[8,0,8\]/],
      [{ steps: [{ kind: 'intensity', lower: 60, upper: 40, range: [0, 1], clip: true }] }, /upper must be a percentile in \(lower = 60, 100\], got 40/],
      [{ steps: [{ kind: 'intensity', lower: 1, upper: 99, range: [1, 0], clip: true }] }, /range must be \[low, high\] with low < high, got \[1,0\]/],
      [{ steps: [{ kind: 'intensity', preset: 'zscore' }] }, /preset must be one of cwdm, aldm, got "zscore"/],
      [{ steps: [{ kind: 'resample', spacing: 2, interpolation: 'cubic' }] }, /interpolation must be one of linear, nearest, area, got "cubic"/],
      [{ preset: 'cwdm', steps: [{ kind: 'crop' }] }, /the steps given differ from preset 'cwdm'; use preset 'custom'/],
      [42, /expected a preset name or an object/],
    ];
    for (const [raw, message] of bad) assert.throws(() => parsePreprocessConfig(raw), message, JSON.stringify(raw));
  });
});
