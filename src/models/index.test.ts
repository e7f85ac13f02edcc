import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_FAMILIES, MODEL_FAMILY_NAMES, modelFamily } from './index.js';

test('every preset of every family: the parts hold every parameter once; the config round-trips through JSON', () => {
  for (const name of MODEL_FAMILY_NAMES) {
    const family = modelFamily(name);
    assert.equal(family, MODEL_FAMILIES[name]);
    for (const preset of family.presets) {
      const config = family.parseConfig(preset);
      assert.deepEqual(family.parseConfig(JSON.parse(JSON.stringify(config))), config, `${name}/${preset}`);
      const model = family.build(config);
      const parts = family.parameterCounts(model);
      assert.equal(parts.reduce((sum, { parameters }) => sum + parameters, 0), model.numParameters(), `${name}/${preset}`);
      model.dispose();
    }
  }
});

test('an unknown family is refused with the known ones', () => {
  assert.throws(() => modelFamily('vqgan'), /^Error: modelFamily: unknown model 'vqgan'; expected one of cwdm$/);
});
