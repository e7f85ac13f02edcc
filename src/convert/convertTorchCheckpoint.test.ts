import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CwdmUNet, parseCwdmUNetConfig } from '../models/wdm/index.js';
import { TINY_KEYS, fixturePath, fixtureValues } from '../../test-fixtures/convert/fixtureValues.js';
import { convertTorchCheckpoint } from './convertTorchCheckpoint.js';

const read = (name: string) => new Uint8Array(readFileSync(fixturePath(name)));
const convert = (name: string, options: { config?: unknown; entry?: string } = {}) => {
  const config = parseCwdmUNetConfig(options.config ?? 'tiny');
  return convertTorchCheckpoint(read(name), { source: `/somewhere/${name}`, model: 'cwdm', config, network: () => new CwdmUNet(config), entry: options.entry });
};

describe('convertTorchCheckpoint', () => {
  test('the fixture was written for the tiny network as it is now', () => {
    const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
    assert.deepEqual(model.namedParameters().map(([key, p]) => ({ key, shape: p.shape })), TINY_KEYS);
    model.dispose();
  });

  test('a bare state dict written by PyTorch: every value exact, float32, under the same keys; metadata', () => {
    const converted = convert('tiny-state-dict.pt');
    assert.equal(converted.prefix, '');
    assert.deepEqual(converted.outside, []);
    assert.deepEqual(Object.keys(converted.tensors), TINY_KEYS.map(({ key }) => key));
    TINY_KEYS.forEach(({ key, shape }, i) => {
      const t = converted.tensors[key];
      assert.equal(t.dtype, 'F32', key);
      assert.deepEqual(t.shape, shape, key);
      assert.deepEqual(new Float32Array(t.data.slice().buffer), fixtureValues(i), key);
    });
    assert.deepEqual(converted.metadata, {
      format: 'mrsynth-weights',
      model: 'cwdm',
      config: JSON.stringify(parseCwdmUNetConfig('tiny')),
      source: 'tiny-state-dict.pt',
      source_sha256: createHash('sha256').update(read('tiny-state-dict.pt')).digest('hex'),
      source_prefix: '',
    });
  });

  test("wrapped: {'state_dict': DataParallel keys, 'epoch', 'args'} gives the same tensors; with and without --entry", () => {
    const bare = convert('tiny-state-dict.pt');
    for (const entry of [undefined, 'state_dict']) {
      const wrapped = convert('tiny-wrapped.pt', { entry });
      assert.equal(wrapped.prefix, 'state_dict.module.');
      assert.equal(wrapped.metadata.source_prefix, 'state_dict.module.');
      assert.deepEqual(wrapped.tensors, bare.tensors);
      assert.deepEqual(wrapped.ignored, entry === undefined ? ['epoch', 'args.lr', 'args.name'] : []);
    }
  });

  test('a config the checkpoint was not trained with is refused, naming the key and both shapes', () => {
    assert.throws(() => convert('tiny-state-dict.pt', { config: { preset: 'tiny', conditions: 2 } }),
      /^Error: convert\(\/somewhere\/tiny-state-dict\.pt\): the weights do not fit the network \(is the config the one it was trained with\?\):\n {2}shape mismatches \(1\): input_blocks\.0\.0\.weight: checkpoint \[4,32,3,3,3\], network \[4,24,3,3,3\]$/);
    assert.throws(() => convert('tiny-state-dict.pt', { config: 'reference-tiny' }), /unexpected keys \(54\): .*… and 42 more\n {2}shape mismatches \(\d+\): /);
  });

  test('an entry the checkpoint lacks is refused with the entries it has', () => {
    assert.throws(() => convert('tiny-wrapped.pt', { entry: 'ema' }), /no top-level entry "ema"; the checkpoint has "state_dict", "epoch", "args"/);
  });
});
