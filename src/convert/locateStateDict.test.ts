import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { RawTensor } from '../io/safetensors/index.js';
import { locateStateDict } from './locateStateDict.js';

const EXPECTED = new Map<string, number[]>([
  ['input_blocks.0.0.weight', [4, 2, 3, 3, 3]], ['input_blocks.0.0.bias', [4]], ['out.2.weight', [1, 4, 3, 3, 3]], ['out.2.bias', [1]],
]);
const raw = (shape: number[], dtype: RawTensor['dtype'] = 'F32'): RawTensor =>
  ({ dtype, shape, data: new Uint8Array(shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : dtype === 'I64' ? 8 : 2)) });
const stateDict = (prefix = ''): Record<string, RawTensor> =>
  Object.fromEntries([...EXPECTED].map(([key, shape]) => [prefix + key, raw(shape)]));

describe('locateStateDict', () => {
  test('a bare state dict; DataParallel\'s module. prefix; nested under an entry, with other tensors beside it', () => {
    const bare = stateDict();
    const plain = locateStateDict(bare, EXPECTED, 'test');
    assert.equal(plain.prefix, '');
    assert.deepEqual(plain.outside, []);
    assert.equal(plain.tensors['out.2.bias'], bare['out.2.bias']);

    assert.equal(locateStateDict(stateDict('module.'), EXPECTED, 'test').prefix, 'module.');

    const nested = locateStateDict({ ...stateDict('state_dict.module.'), 'optimizer.state.0.exp_avg': raw([4]) }, EXPECTED, 'test');
    assert.equal(nested.prefix, 'state_dict.module.');
    assert.deepEqual(Object.keys(nested.tensors), [...EXPECTED.keys()]);
    assert.deepEqual(nested.outside, ['optimizer.state.0.exp_avg']);
  });

  test('the weights twice (raw and EMA) are ambiguous: both entries named, --entry suggested', () => {
    assert.throws(() => locateStateDict({ ...stateDict('model.'), ...stateDict('ema.') }, EXPECTED, 'convert(x.pt)'),
      /^Error: convert\(x\.pt\): the network's weights are in the checkpoint 2 times, under 'model\.', 'ema\.'; choose one with --entry/);
  });

  test('missing, unexpected, wrongly shaped and integer tensors are all named in one message', () => {
    const bad = stateDict('module.');
    delete bad['module.out.2.bias'];
    bad['module.input_blocks.0.0.weight'] = raw([4, 3, 3, 3, 3]);
    bad['module.input_blocks.0.0.bias'] = raw([4], 'I64');
    bad['module.out.3.weight'] = raw([2]);
    assert.throws(() => locateStateDict(bad, EXPECTED, 'convert(x.pt)'), (error: Error) => {
      assert.equal(error.message, [
        "convert(x.pt): the weights under 'module.' do not fit the network (is the config the one it was trained with?):",
        '  missing keys (1): out.2.bias',
        '  unexpected keys (1): out.3.weight',
        '  shape mismatches (1): input_blocks.0.0.weight: checkpoint [4,3,3,3,3], network [4,2,3,3,3]',
        '  not floating point (1): input_blocks.0.0.bias: I64',
      ].join('\n'));
      return true;
    });
  });

  test('long lists are cut after 12 items with the count of the rest', () => {
    const many = new Map(Array.from({ length: 20 }, (_, i) => [`blocks.${i}.weight`, [2]] as [string, number[]]));
    const found = { 'blocks.0.weight': raw([2]) };
    assert.throws(() => locateStateDict(found, many, 'test'),
      /missing keys \(19\): blocks\.1\.weight, .*, blocks\.12\.weight, … and 7 more$/);
  });

  test('nothing of the network: the keys found are listed; an optimiser state is recognised as such', () => {
    assert.throws(() => locateStateDict({ 'encoder.conv.weight': raw([2]) }, EXPECTED, 'convert(x.pt)'),
      /^Error: convert\(x\.pt\): no tensor has a key of the network \(such as 'input_blocks\.0\.0\.weight'\); the checkpoint's 1 tensor key\(s\) are encoder\.conv\.weight\.$/);
    assert.throws(() => locateStateDict({ 'state.0.exp_avg': raw([4]), 'state.0.exp_avg_sq': raw([4]) }, EXPECTED, 'convert(opt.pt)'),
      /It looks like an optimiser state \(exp_avg, exp_avg_sq\), not model weights; the reference saves those as opt<step>\.pt\.$/);
  });

  test("a network's integer counters (BatchNorm's num_batches_tracked) take the checkpoint's integers, and only those", () => {
    const withCounter = new Map([...EXPECTED, ['bn.num_batches_tracked', []]]);
    const found = { ...stateDict('module.'), 'module.bn.num_batches_tracked': raw([], 'I64') };
    assert.throws(() => locateStateDict(found, withCounter, 'convert(bn.pt)'), /not floating point \(1\): bn\.num_batches_tracked: I64/);
    const located = locateStateDict(found, withCounter, 'convert(bn.pt)', [], new Set(['bn.num_batches_tracked']));
    assert.equal(located.tensors['bn.num_batches_tracked'].dtype, 'I64');
    assert.throws(() => locateStateDict({ ...found, 'module.bn.num_batches_tracked': raw([]) }, withCounter, 'convert(bn.pt)', [],
      new Set(['bn.num_batches_tracked'])), /not integer, as the network's counters are \(1\): bn\.num_batches_tracked: F32/);
  });
});
