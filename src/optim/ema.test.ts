import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear } from '../nn/index.js';
import { Module } from '../nn/index.js';
import { Tensor, memory, noGrad, tensor, tidy } from '../tensor/index.js';
import { EMA } from './ema.js';

/** A module with one scalar parameter `x`, so averages can be followed by hand. */
class Scalar extends Module {
  constructor(value: number) {
    super();
    this.registerParameter('x', tensor([value]));
  }
  get x(): Tensor { return this.parameter('x'); }
  set(value: number): void {
    noGrad(() => this.x.fill_(value));
  }
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} vs ${expected}`);

describe('EMA', () => {
  test('warm-up decay is min(d, (1 + n)/(10 + n)) with n counted from 1, and plain d without warm-up', () => {
    const module = new Scalar(0);
    const ema = new EMA(module, { decay: 0.99 });
    assert.deepEqual([ema.update(), ema.update(), ema.update()], [2 / 11, 3 / 12, 4 / 13]);
    assert.equal(ema.numUpdates, 3);
    // (1 + n)/(10 + n) passes 0.99 between n = 890 (891/900 = 0.99) and 891.
    assert.equal(ema.decayAt(889), 890 / 899);
    assert.equal(ema.decayAt(892), 0.99);
    assert.equal(new EMA(module, { decay: 0.9, warmup: false }).update(), 0.9);
    assert.equal(new EMA(module).decay, 0.9999);
    assert.throws(() => new EMA(module, { decay: 1.5 }), /EMA: decay must be in \[0, 1\], got 1.5/);
  });

  test('shadow = decay·shadow + (1 − decay)·param, followed by hand over three updates', () => tidy(() => {
    const module = new Scalar(1);
    const ema = new EMA(module, { decay: 0.5 });
    module.set(2);
    ema.update(); // decay 2/11: 2/11 · 1 + 9/11 · 2 = 20/11
    close(ema.state().shadow.x.item(), 20 / 11, 'after 1');
    module.set(0);
    ema.update(); // decay 3/12: 20/11 / 4 = 5/11
    close(ema.state().shadow.x.item(), 5 / 11, 'after 2');
    module.set(11);
    ema.update(); // decay min(0.5, 4/13) = 4/13: 4/13 · 5/11 + 9/13 · 11
    close(ema.state().shadow.x.item(), (4 / 13) * (5 / 11) + (9 / 13) * 11, 'after 3');
    assert.equal(module.x.item(), 11, 'the module keeps its own weights');
    ema.dispose();
    module.dispose();
  }));

  test('withAveragedWeights runs with the average and restores the trained weights, even when it throws', () => tidy(() => {
    const module = new Scalar(4);
    const ema = new EMA(module, { decay: 0.5, warmup: false });
    module.set(8);
    ema.update(); // 6
    assert.equal(ema.withAveragedWeights(() => module.x.item()), 6);
    assert.equal(module.x.item(), 8);
    assert.throws(() => ema.withAveragedWeights(() => { throw new Error('sampling failed'); }), /sampling failed/);
    assert.equal(module.x.item(), 8);
    ema.copyTo();
    assert.equal(module.x.item(), 6);
    ema.dispose();
    module.dispose();
  }));

  test('copyTo fills another module of the same structure and refuses a different one', () => tidy(() => {
    const trained = new Linear(3, 2);
    const ema = new EMA(trained);
    const sampler = new Linear(3, 2);
    ema.copyTo(sampler);
    assert.deepEqual(sampler.weight.toTypedArray(), trained.weight.toTypedArray());
    const other = new Linear(4, 2);
    assert.throws(() => ema.copyTo(other), /EMA.copyTo: parameter 'weight' has shape \[2,4\], its average \[2,3\]/);
    assert.throws(() => ema.copyTo(new Linear(3, 2, { bias: false })), /EMA.copyTo: the module has 1 parameters, the average 2/);
    for (const m of [trained, sampler, other]) m.dispose();
    ema.dispose();
  }));

  test('state round-trips into a fresh EMA, which then continues identically', () => tidy(() => {
    const module = new Scalar(1);
    const first = new EMA(module, { decay: 0.9 });
    for (const v of [3, -1, 5]) {
      module.set(v);
      first.update();
    }
    const second = new EMA(module, { decay: 0.9 });
    second.loadState(first.state());
    assert.equal(second.numUpdates, 3);
    module.set(7);
    assert.equal(first.update(), second.update());
    assert.equal(second.state().shadow.x.item(), first.state().shadow.x.item());
    assert.throws(() => second.loadState({ numUpdates: 1, shadow: { y: tensor([1]) } }),
      /EMA.loadState: missing \[x\], unexpected \[y\], shape mismatches \[\]/);
    assert.throws(() => second.loadState({ numUpdates: 1, shadow: { x: tensor([1, 2]) } }), /shape mismatches \[x: saved \[2\] vs \[1\]\]/);
    for (const t of [first, second, module]) t.dispose();
  }));

  test('updates leave no tensors behind', () => {
    const module = new Linear(4, 4);
    const ema = new EMA(module);
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) ema.update();
    ema.withAveragedWeights(() => undefined);
    assert.equal(memory().numTensors, before);
    ema.dispose();
    module.dispose();
  });
});
