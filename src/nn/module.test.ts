import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, memory, ones, tensor, tidy, zeros } from '../tensor/index.js';
import { Conv } from './conv.js';
import { Dropout } from './dropout.js';
import { GroupNorm } from './groupNorm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { ModuleList } from './moduleList.js';

/** A miniature of a UNet stage: the same tree shape as a PyTorch module with attributes conv, norm, drop. */
class Block extends Module {
  readonly conv: Conv;
  readonly norm: GroupNorm;
  readonly drop: Dropout;
  constructor(channels: number) {
    super();
    this.conv = this.registerModule('conv', new Conv({ spatialDims: 3, inChannels: channels, outChannels: channels, kernelSize: 3, padding: 1 }));
    this.norm = this.registerModule('norm', new GroupNorm(2, channels));
    this.drop = this.registerModule('drop', new Dropout(0.1));
  }
}

class Net extends Module {
  readonly blocks: ModuleList<Block>;
  readonly head: Linear;
  constructor() {
    super();
    this.registerParameter('scale', ones([1]));
    this.registerBuffer('table', tensor([0, 1, 2], { dtype: 'int64' }));
    this.blocks = this.registerModule('block', new ModuleList([new Block(4), new Block(4)]));
    this.head = this.registerModule('head', new Linear(4, 2, { bias: false }));
  }
  get table(): Tensor { return this.buffer('table'); }
}

const NET_KEYS = [
  'scale', 'table',
  'block.0.conv.weight', 'block.0.conv.bias', 'block.0.norm.weight', 'block.0.norm.bias',
  'block.1.conv.weight', 'block.1.conv.bias', 'block.1.norm.weight', 'block.1.norm.bias',
  'head.weight',
];

function values(t: Tensor): number[] {
  return [...t.toTypedArray()].map(Number);
}

describe('Module', () => {
  test('state-dict keys follow PyTorch: own entries first, then submodules by registration, absent bias left out', () => tidy(() => {
    const net = new Net();
    assert.deepEqual(Object.keys(net.stateDict()), NET_KEYS);
    assert.deepEqual(net.namedParameters().map(([k]) => k), NET_KEYS.filter((k) => k !== 'table'));
    assert.deepEqual(net.namedBuffers().map(([k]) => k), ['table']);
    assert.deepEqual(values(net.table), [0, 1, 2]);
    assert.equal(net.table.requiresGrad, false);
    assert.deepEqual(net.namedModules().map(([k]) => k),
      ['', 'block', 'block.0', 'block.0.conv', 'block.0.norm', 'block.0.drop', 'block.1', 'block.1.conv', 'block.1.norm', 'block.1.drop', 'head']);
    // 1 + 2 × (4·4·27 + 4 + 4 + 4) + 2·4
    assert.equal(net.numParameters(), 1 + 2 * (4 * 4 * 27 + 4 + 4 + 4) + 8);
    net.dispose();
  }));

  test('a parameter shared by two modules is listed and counted once', () => tidy(() => {
    const parent = new Module();
    const a = parent.registerModule('a', new Linear(3, 3));
    const b = parent.registerModule('b', new Module());
    b.registerParameter('tied', a.weight);
    assert.deepEqual(parent.namedParameters().map(([k]) => k), ['a.weight', 'a.bias']);
    assert.equal(parent.numParameters(), 12);
    assert.deepEqual(Object.keys(parent.stateDict()), ['a.weight', 'a.bias', 'b.tied']);
    parent.dispose();
  }));

  test('registration refuses dotted, empty and duplicate names and non-float parameters', () => tidy(() => {
    const m = new Module();
    m.registerParameter('w', zeros([2]));
    assert.throws(() => m.registerBuffer('w', zeros([2])), /Module.registerBuffer: 'w' is already registered as a parameter/);
    assert.throws(() => m.registerModule('a.b', new Module()), /Module.registerModule: name must be a non-empty string without '.', got "a.b"/);
    assert.throws(() => m.registerParameter('', zeros([1])), /got ""/);
    assert.throws(() => m.registerParameter('i', zeros([1], { dtype: 'int64' })), /parameter 'i' must be floating point to take gradients, got int64/);
    assert.throws(() => m.registerModule('self', m), /a module cannot contain itself \(as 'self'\)/);
    m.dispose();
  }));

  test('loadStateDict copies into the same tensors, converting dtype, and round-trips a state dict', () => tidy(() => {
    const source = new Net();
    const target = new Net();
    const weightBefore = target.blocks.at(1).conv.weight;
    const dict = source.stateDict();
    dict['head.weight'] = tensor([1, 2, 3, 4, 5, 6, 7, 8], { dtype: 'float64', shape: [2, 4] });
    const result = target.loadStateDict(dict);
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.equal(target.blocks.at(1).conv.weight, weightBefore, 'the parameter object is kept');
    assert.deepEqual(values(target.head.weight), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(target.head.weight.dtype, 'float32');
    assert.ok(target.head.weight.requiresGrad && target.head.weight.isLeaf);
    assert.deepEqual(target.blocks.at(1).conv.weight.toTypedArray(), source.blocks.at(1).conv.weight.toTypedArray());
    source.dispose();
    target.dispose();
  }));

  test('strict loading lists missing and unexpected keys and both shapes of a mismatch, and writes nothing', () => tidy(() => {
    const net = new Net();
    const dict = net.stateDict();
    const original = values(net.head.weight);
    delete dict['block.1.norm.bias'];
    delete dict.scale;
    dict['block.2.conv.weight'] = zeros([1]);
    dict['head.weight'] = zeros([4, 2]);
    dict['block.0.norm.weight'] = zeros([4]);
    assert.throws(() => net.loadStateDict(dict), (error: Error) => {
      assert.match(error.message, /^Net\.loadStateDict: missing keys \(2\): scale, block\.1\.norm\.bias/);
      assert.match(error.message, /unexpected keys \(1\): block\.2\.conv\.weight/);
      assert.match(error.message, /shape mismatches \(1\): head\.weight: checkpoint \[4,2\] vs module \[2,4\]/);
      return true;
    });
    assert.deepEqual(values(net.head.weight), original);
    assert.deepEqual(values(net.blocks.at(0).norm.weight!), [1, 1, 1, 1], 'nothing was written before the refusal');
    net.dispose();
  }));

  test('non-strict loading reports the key differences, loads the rest, and still refuses shape mismatches', () => tidy(() => {
    const net = new Net();
    const result = net.loadStateDict({ scale: tensor([3]), extra: zeros([1]) }, { strict: false });
    assert.deepEqual(result.unexpectedKeys, ['extra']);
    assert.deepEqual(result.missingKeys, NET_KEYS.filter((k) => k !== 'scale'));
    assert.deepEqual(values(net.stateDict().scale), [3]);
    assert.throws(() => net.loadStateDict({ scale: zeros([2]) }, { strict: false }), /scale: checkpoint \[2\] vs module \[1\]/);
    net.dispose();
  }));

  test('stateDict values are the caller’s handles: disposing them leaves the module intact, writing into them writes the module', () => {
    const net = new Linear(2, 1);
    const before = memory().numTensors;
    tidy(() => {
      const dict = net.stateDict();
      dict.bias.fill_(0.25);
    });
    assert.equal(memory().numTensors, before);
    assert.deepEqual(values(net.bias!), [0.25]);
    net.dispose();
  });

  test('train() and eval() reach every submodule', () => tidy(() => {
    const net = new Net();
    assert.ok(net.namedModules().every(([, m]) => m.training));
    assert.equal(net.eval(), net);
    assert.ok(net.namedModules().every(([, m]) => !m.training));
    net.blocks.at(1).train();
    assert.deepEqual(net.namedModules().filter(([, m]) => m.training).map(([k]) => k), ['block.1', 'block.1.conv', 'block.1.norm', 'block.1.drop']);
    net.dispose();
  }));

  test('zeroGrad drops every gradient that backward accumulated', () => tidy(() => {
    const net = new Linear(3, 2);
    net.forward(ones([4, 3])).sum().backward();
    // d(sum)/d(bias) = number of rows, d(sum)/d(weight) = column sums of the input.
    assert.deepEqual(values(net.bias!.grad!), [4, 4]);
    assert.deepEqual(values(net.weight.grad!), [4, 4, 4, 4, 4, 4]);
    net.zeroGrad();
    assert.equal(net.weight.grad, null);
    assert.equal(net.bias!.grad, null);
    net.dispose();
  }));

  test('dispose frees every parameter and buffer, and building a module inside tidy keeps them alive until then', () => {
    const before = memory().numTensors;
    const net = tidy(() => new Net());
    assert.equal(memory().numTensors, before + NET_KEYS.length);
    net.dispose();
    assert.equal(memory().numTensors, before);
    assert.ok(net.parameters().every((p) => p.isDisposed));
  });

  test("to('bfloat16') converts floating-point parameters (still trainable), keeps integer buffers, frees the old tensors", () => {
    const net = new Net();
    const old = net.parameters();
    const before = memory().numTensors;
    assert.equal(net.to('bfloat16'), net);
    assert.equal(memory().numTensors, before);
    assert.ok(old.every((p) => p.isDisposed));
    assert.ok(net.parameters().every((p) => p.dtype === 'bfloat16' && p.requiresGrad));
    assert.equal(net.table.dtype, 'int64');
    net.to('float32');
    assert.ok(net.parameters().every((p) => p.dtype === 'float32'));
    net.dispose();
  });

  test("to('cpu') on a CPU module keeps the same tensors", () => tidy(() => {
    const net = new Net();
    const params = net.parameters();
    assert.equal(net.to('cpu'), net);
    assert.deepEqual(net.parameters(), params);
    net.dispose();
  }));
});
