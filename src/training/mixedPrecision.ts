/**
 * `MixedPrecision`: the network a training step runs and the float32 master weights the optimiser updates.
 *
 * In bf16 (mixed precision as Micikevicius et al., 2018, without loss scaling: bfloat16 has float32's exponent
 * range, so small gradients do not flush to zero) forward and backward run through a bfloat16 working copy,
 * while AdamW, gradient clipping, the EMA and checkpoints work on float32 masters. The masters are needed
 * because an update of lr·m̂/√v̂ ≈ 1e-5 relative to a weight is far below bfloat16's resolution (2^-8): applied
 * to bfloat16 weights most steps would round away. After each step the masters are rounded once into the
 * working copy. In fp32 the working copy is the master itself and every method reduces to what plain float32
 * training does, so the same loop serves both.
 */
import type { Module } from '../nn/index.js';
import { PRECISION_DTYPES, type Precision } from '../nn/index.js';
import { type AdamW, type EMA, clipGradNorm_ } from '../optim/index.js';
import { type DType, Generator, noGrad, tidy, type Tensor } from '../tensor/index.js';
import { assert } from '../util/index.js';

export interface MixedPrecisionStepOptions {
  /** Clip the masters' global gradient norm to this before the step; absent: no clipping. */
  readonly gradClip?: number;
  /**
   * Combines the masters' gradients with other processes' before clipping and the step (data parallelism averages
   * them over the ranks), in place.
   */
  readonly reduceGradients?: (parameters: readonly Tensor[]) => void;
}

export class MixedPrecision<M extends Module> {
  /** The module forward and backward run through: `master` in fp32, its bfloat16 working copy in bf16. */
  readonly network: M;
  readonly #pairs: readonly { readonly master: Tensor; readonly working: Tensor }[];

  /**
   * `build` makes another module like `master` (same class and config) for the working copy; it is called only
   * in bf16. Its initialisation is overwritten at once, and the global generator is put back afterwards, so a
   * bf16 run's dropout draws start where an fp32 run's would.
   */
  constructor(readonly master: M, readonly precision: Precision, build: () => M) {
    this.network = precision === 'fp32' ? master : workingCopy(master, PRECISION_DTYPES[precision], build);
    const masters = master.namedParameters();
    const working = this.network.namedParameters();
    assert(masters.map(([name]) => name).join('\n') === working.map(([name]) => name).join('\n'),
      () => `MixedPrecision: the working copy's parameters (${working.length}) are not the master's (${masters.length}); build must make the same module`);
    this.#pairs = masters.map(([, m], i) => ({ master: m, working: working[i][1] }));
  }

  /**
   * Completes a training step after `backward()` through `network`: gradients are moved to the masters (in
   * float32), combined with other processes' where `reduceGradients` says, optionally clipped, the optimiser (over the masters' parameters) steps, all gradients are dropped,
   * and the new masters are copied into the network. Returns the gradient norm before clipping when clipping.
   */
  step(optimizer: AdamW, options: MixedPrecisionStepOptions = {}): number | undefined {
    if (this.network !== this.master) {
      // In a scope: `grad` reads and the float32 copies are new handles; the masters keep the gradients themselves.
      tidy(() => noGrad(() => {
        for (const { master, working } of this.#pairs) {
          const grad = working.grad;
          master.grad = grad === null ? null : grad.float();
          working.grad = null;
        }
      }));
    }
    options.reduceGradients?.(this.master.parameters().filter((p) => p.requiresGrad));
    const norm = options.gradClip !== undefined ? clipGradNorm_(this.master.parameters(), options.gradClip) : undefined;
    optimizer.step();
    optimizer.zeroGrad();
    this.syncNetwork();
    return norm;
  }

  /** Drops every gradient of the network (and of the masters), so the next backward pass starts from none. */
  dropGradients(): void {
    for (const { master, working } of this.#pairs) {
      working.grad = null;
      if (master !== working) master.grad = null;
    }
  }

  /** Rounds the masters into the network: after each step, and after the masters were loaded from a checkpoint. */
  syncNetwork(): void {
    if (this.network === this.master) return;
    tidy(() => noGrad(() => {
      for (const { master, working } of this.#pairs) working.copy_(master);
    }));
  }

  /** Runs `fn` with `ema`'s averaged weights in the network (the masters' EMA), then puts the trained weights back. */
  withAveragedWeights<T>(ema: EMA, fn: () => T): T {
    if (this.network === this.master) return ema.withAveragedWeights(fn);
    try {
      ema.copyTo(this.network);
      return fn();
    } finally {
      this.syncNetwork();
    }
  }

  /** Frees the working copy (the master stays the caller's). */
  dispose(): void {
    if (this.network !== this.master) this.network.dispose();
  }
}

/** A copy of `master`'s parameters and buffers in `dtype`, made by `build` without disturbing the global generator. */
function workingCopy<M extends Module>(master: M, dtype: DType, build: () => M): M {
  const global = Generator.global();
  const state = global.getState();
  const copy = build();
  global.setState(state);
  copy.to(dtype);
  tidy(() => copy.loadStateDict(master.stateDict()));
  copy.train(master.training);
  return copy;
}
