import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { keep, memory, tensor, tidy } from '../tensor/index.js';
import { AdamW } from './adamW.js';

const fround = Math.fround;
/**
 * A float32 fused multiply-add, a·b + c rounded once. libtorch's AVX2 CPU kernels are compiled with FMA
 * contraction, so the scalar tail of `add_(g, alpha)` and `addcmul_` is fused; python3-torch 1.13 agrees
 * with this emulation bit for bit (and disagrees with separate roundings) over 36 AdamW steps. The float
 * product is exact in double; the sum is rounded to double and then to float32, which differs from a single
 * rounding only with probability ~2⁻²⁹ per operation.
 */
const fmaf = (a: number, b: number, c: number) => fround(a * b + c);

interface Config { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

/** torch.optim.AdamW 1.13 on one float32 scalar, written out with plain JS doubles and float32 roundings. */
function adamwByHand(initial: number, grads: number[], c: Config): number[] {
  let p = fround(initial);
  let m = 0;
  let v = 0;
  return grads.map((gradient, index) => {
    const step = index + 1;
    const g = fround(gradient);
    p = fround(p * fround(1 - c.lr * c.weightDecay));
    m = fmaf(fround(1 - c.beta1), g, fround(m * fround(c.beta1)));
    v = fmaf(fround(fround(1 - c.beta2) * g), g, fround(v * fround(c.beta2)));
    const stepSize = c.lr / (1 - c.beta1 ** step);
    const denom = fround(fround(fround(Math.sqrt(v)) / fround(Math.sqrt(1 - c.beta2 ** step))) + fround(c.eps));
    p = fround(p + fround(fround(fround(-stepSize) * m) / denom));
    return p;
  });
}

/** Runs our AdamW on a one-element parameter with the given gradients; returns the parameter after each step. */
function adamwOurs(initial: number, grads: number[], c: Config): number[] {
  return tidy(() => {
    const param = tensor([initial]).requiresGrad_();
    const optimizer = new AdamW([['x', param]], { lr: c.lr, betas: [c.beta1, c.beta2], eps: c.eps, weightDecay: c.weightDecay });
    const out = grads.map((g) => {
      param.grad = tensor([g]);
      optimizer.step();
      return param.item();
    });
    optimizer.dispose();
    return out;
  });
}

const GRADS = [0.3, -1.7, 2.5e-3, 0.9, -0.45, 1e-5, 3.0, 0.1, -0.2, 0.7, 1.1, -3.3];

describe('AdamW', () => {
  for (const weightDecay of [0, 0.1]) {
    test(`scalar steps equal the hand computation bit for bit (weightDecay ${weightDecay})`, () => {
      for (const lr of [1e-3, 0.05, 0.3]) {
        const config = { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
        assert.deepEqual(adamwOurs(0.75, GRADS, config), adamwByHand(0.75, GRADS, config), `lr ${lr}`);
      }
    });
  }

  test('the first step moves each parameter by lr·sign(g) (bias correction makes m̂/√v̂ = ±1) after decay', () => {
    const [after] = adamwOurs(2, [-0.04], { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0.5 });
    // 2·(1 − 0.05) + 0.1, to float32 rounding.
    assert.ok(Math.abs(after - 2.0) < 1e-6, `got ${after}`);
  });

  test('a 37-element parameter follows torch.optim.AdamW 1.13 exactly (vectorised kernels)', () => tidy(() => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8')).adamw;
    const param = tensor(fixture.initial).requiresGrad_();
    const optimizer = new AdamW([['w', param]], { lr: fixture.lr, betas: fixture.betas, eps: fixture.eps, weightDecay: fixture.weight_decay });
    fixture.grads.forEach((grad: number[], i: number) => {
      param.grad = tensor(grad);
      optimizer.step();
      assert.deepEqual(param.toTypedArray(), Float32Array.from(fixture.trajectory[i]), `step ${i + 1}`);
    });
    optimizer.dispose();
  }));

  test('parameters without a gradient are skipped and keep their step count', () => tidy(() => {
    const a = tensor([1]).requiresGrad_();
    const b = tensor([1]).requiresGrad_();
    const optimizer = new AdamW([['a', a], ['b', b]], { lr: 0.1, weightDecay: 0 });
    a.grad = tensor([1]);
    optimizer.step();
    optimizer.step();
    b.grad = tensor([1]);
    optimizer.zeroGrad();
    assert.equal(a.grad, null);
    b.grad = tensor([1]);
    optimizer.step();
    const state = optimizer.state();
    assert.deepEqual(Object.fromEntries(Object.entries(state.parameters).map(([k, s]) => [k, s.step])), { a: 2, b: 1 });
    // A constant gradient makes m̂/√v̂ = 1: each of a's two steps moved it by lr.
    assert.ok(Math.abs(a.item() - 0.8) < 1e-6, `a moved twice, then stood still: ${a.item()}`);
    optimizer.dispose();
  }));

  test('state saved mid-run and loaded into a fresh optimiser continues identically', () => tidy(() => {
    const config = { lr: 0.02, betas: [0.8, 0.95] as const, weightDecay: 0.1 };
    const grads = [[0.5, -1, 2], [0.1, 0.2, -0.3], [-2, 1, 0.25], [0.7, 0.7, -0.7], [1e-3, -4, 9]];
    const run = (resumeAt: number | null): Float32Array => tidy(() => {
      let param = keep(tensor([1, -2, 3]).requiresGrad_());
      let optimizer = new AdamW([['p', param]], config);
      for (let step = 0; step < grads.length; step++) {
        if (step === resumeAt) {
          const saved = { values: keep(param.detach().clone()), state: optimizer.state() };
          keep(saved.state.parameters.p.expAvg);
          keep(saved.state.parameters.p.expAvgSq);
          optimizer.dispose();
          param.dispose();
          param = keep(saved.values.clone().requiresGrad_());
          optimizer = new AdamW([['p', param]], { ...config, lr: 999 });
          optimizer.loadState(saved.state);
          assert.equal(optimizer.lr, 0.02, 'lr comes back with the state');
          for (const t of [saved.values, saved.state.parameters.p.expAvg, saved.state.parameters.p.expAvgSq]) t.dispose();
        }
        param.grad = tensor(grads[step]);
        optimizer.step();
      }
      optimizer.dispose();
      const out = param.toTypedArray<'float32'>();
      param.dispose();
      return out;
    });
    assert.deepEqual(run(3), run(null));
  }));

  test('loadState refuses unknown names, wrong shapes and changed betas, before changing anything', () => tidy(() => {
    const p = tensor([1, 2]).requiresGrad_();
    const optimizer = new AdamW([['p', p]]);
    const moments = (shape: number[]) => ({ step: 1, expAvg: tensor(new Float32Array(shape[0]), { shape }), expAvgSq: tensor(new Float32Array(shape[0]), { shape }) });
    assert.throws(() => optimizer.loadState({ hyper: optimizer.hyper, parameters: { q: moments([2]) } }),
      /AdamW.loadState: 'q' is not one of this optimiser's parameters/);
    assert.throws(() => optimizer.loadState({ hyper: optimizer.hyper, parameters: { p: moments([3]) } }),
      /'p': expAvg has shape \[3\], parameter has \[2\]; 'p': expAvgSq has shape \[3\]/);
    assert.throws(() => optimizer.loadState({ hyper: { ...optimizer.hyper, beta2: 0.99 }, parameters: {} }),
      /saved hyper-parameters .*"beta2":0.99.* differ from this optimiser's/);
    assert.deepEqual(optimizer.state().parameters, {});
    assert.throws(() => new AdamW([['p', p]], { betas: [0.9, 1] }), /AdamW: beta2 must be in \[0, 1\), got 1/);
    assert.throws(() => new AdamW([]), /AdamW: got no parameters to optimise/);
  }));

  test('steps leave no tensors behind beyond the two moments per parameter', () => {
    const param = tensor([1, 2, 3]).requiresGrad_();
    const optimizer = new AdamW([['p', param]]);
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const grad = tensor([0.1, 0.2, 0.3]);
      param.grad = grad;
      grad.dispose();
      optimizer.step();
    }
    assert.equal(memory().numTensors, before + 2);
    optimizer.dispose();
    assert.equal(memory().numTensors, before);
    param.dispose();
  });
});
