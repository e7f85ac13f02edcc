import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHODS, METHOD_NAMES, method } from './index.js';

test('every preset of every method: the parts hold every parameter once; the config round-trips through JSON', () => {
  for (const name of METHOD_NAMES) {
    const m = method(name);
    assert.equal(m, METHODS[name]);
    assert.equal(m.name, name);
    for (const preset of m.presets) {
      const config = m.parseConfig(preset);
      assert.deepEqual(m.parseConfig(JSON.parse(JSON.stringify(config))), config, `${name}/${preset}`);
      const networks = m.buildNetworks(config);
      const parts = m.parameterCounts(networks);
      const total = Object.values(networks).reduce((sum, network) => sum + network.numParameters(), 0);
      assert.equal(parts.reduce((sum, { parameters }) => sum + parameters, 0), total, `${name}/${preset}`);
      for (const network of Object.values(networks)) network.dispose();
    }
  }
});

test('an unknown method is refused with the known ones', () => {
  assert.throws(() => method('vqgan'), /^Error: unknown synthesis method 'vqgan'; expected one of cwdm, aldm$/);
});
