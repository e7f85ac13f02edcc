/**
 * `AdamW` (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019), step for step
 * torch.optim.AdamW 1.13's single-tensor algorithm, so the same gradients give the same bits. With
 * `weightDecay: 0` it is Adam. Parameters and their state are keyed by name (`Module.namedParameters()`),
 * which is what makes the state checkpointable independently of construction order.
 */
import { Tensor, keep, noGrad, tidy, zerosLike } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { sameShape } from '../util/index.js';

export interface AdamWOptions {
  /** Learning rate (default 1e-3); may be changed between steps through `lr`. */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay (default 1e-2, PyTorch's); 0 gives Adam. */
  weightDecay?: number;
}

export interface AdamWHyperParameters {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** One parameter's state: the number of updates it took and its moment estimates m and v. */
export interface AdamWParameterState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
}

export interface AdamWState {
  hyper: AdamWHyperParameters;
  /** Only parameters that have taken a step have state. */
  parameters: Record<string, AdamWParameterState>;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly #parameters: ReadonlyMap<string, Tensor>;
  readonly #state = new Map<string, AdamWParameterState>();

  constructor(parameters: Iterable<readonly [string, Tensor]>, options: AdamWOptions = {}) {
    this.#parameters = new Map(parameters);
    assert(this.#parameters.size > 0, () => 'AdamW: got no parameters to optimise');
    const hyper = checkHyperParameters({
      lr: options.lr ?? 1e-3,
      beta1: options.betas?.[0] ?? 0.9,
      beta2: options.betas?.[1] ?? 0.999,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 1e-2,
    }, 'AdamW');
    this.lr = hyper.lr;
    this.beta1 = hyper.beta1;
    this.beta2 = hyper.beta2;
    this.eps = hyper.eps;
    this.weightDecay = hyper.weightDecay;
  }

  get hyper(): AdamWHyperParameters {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  /**
   * One update of every parameter that has a gradient (others are skipped and keep their step count):
   *   θ ← θ·(1 − lr·λ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
   *   θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
   * The operations and their order are PyTorch's: each in-place kernel rounds as it does there.
   */
  step(): void {
    const { beta1, beta2, eps, lr, weightDecay } = this;
    // One scope per parameter: the denominator is as large as the parameter, and holding every one until
    // the end of the loop would add a whole model's worth of memory to the peak of a training step.
    noGrad(() => {
      for (const [name, param] of this.#parameters) {
        tidy('AdamW.step', () => {
          const grad = param.grad;
          if (grad === null) return;
          const state = this.#stateFor(name, param);
          state.step += 1;
          param.mul_(1 - lr * weightDecay);
          state.expAvg.mul_(beta1).add_(grad, 1 - beta1);
          state.expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
          const biasCorrection1 = 1 - beta1 ** state.step;
          const biasCorrection2 = 1 - beta2 ** state.step;
          const stepSize = lr / biasCorrection1;
          // In place after the one copy that sqrt makes; the same kernels, so the same rounding as PyTorch's
          // out-of-place division.
          const denom = state.expAvgSq.sqrt().div_(Math.sqrt(biasCorrection2)).add_(eps);
          param.addcdiv_(state.expAvg, denom, -stepSize);
        });
      }
    });
  }

  #stateFor(name: string, param: Tensor): AdamWParameterState {
    let state = this.#state.get(name);
    if (state === undefined) {
      state = { step: 0, expAvg: keep(zerosLike(param)), expAvgSq: keep(zerosLike(param)) };
      this.#state.set(name, state);
    }
    return state;
  }

  /** Drops the gradients of the optimised parameters (see Module.zeroGrad for why null, not zeros). */
  zeroGrad(): void {
    for (const param of this.#parameters.values()) param.grad = null;
  }

  /**
   * Hyper-parameters and per-parameter state for checkpoints. The moment tensors are new handles on the
   * optimiser's storage (the caller's to dispose), so reading them costs no copy.
   */
  state(): AdamWState {
    const parameters: Record<string, AdamWParameterState> = {};
    for (const [name, { step, expAvg, expAvgSq }] of this.#state) {
      parameters[name] = { step, expAvg: expAvg.detach(), expAvgSq: expAvgSq.detach() };
    }
    return { hyper: this.hyper, parameters };
  }

  /**
   * Restores what `state()` returned (here or in an earlier process): hyper-parameters, step counts and
   * moments, copied into the optimiser's own tensors. Every name must be one of this optimiser's parameters
   * and every moment must have its parameter's shape; all is checked before anything changes. Parameters
   * absent from `state` start afresh. The given tensors stay the caller's.
   */
  loadState(state: AdamWState): void {
    const hyper = checkHyperParameters(state.hyper, 'AdamW.loadState');
    assert(hyper.beta1 === this.beta1 && hyper.beta2 === this.beta2 && hyper.eps === this.eps && hyper.weightDecay === this.weightDecay,
      () => `AdamW.loadState: saved hyper-parameters ${JSON.stringify(hyper)} differ from this optimiser's ${JSON.stringify(this.hyper)} ` +
        '(only lr may change between runs; build the optimiser with the saved values)');
    const problems: string[] = [];
    for (const [name, saved] of Object.entries(state.parameters)) {
      const param = this.#parameters.get(name);
      if (param === undefined) {
        problems.push(`'${name}' is not one of this optimiser's parameters`);
        continue;
      }
      if (!(Number.isInteger(saved.step) && saved.step >= 1)) problems.push(`'${name}': step must be a positive integer, got ${saved.step}`);
      for (const [what, moment] of [['expAvg', saved.expAvg], ['expAvgSq', saved.expAvgSq]] as const) {
        if (!sameShape(moment.shape, param.shape)) problems.push(`'${name}': ${what} has shape ${fmtShape(moment.shape)}, parameter has ${fmtShape(param.shape)}`);
      }
    }
    assert(problems.length === 0, () => `AdamW.loadState: ${problems.join('; ')}`);

    this.#disposeState();
    this.lr = hyper.lr;
    tidy(() => noGrad(() => {
      for (const [name, saved] of Object.entries(state.parameters)) {
        const param = this.#parameters.get(name)!;
        const target = this.#stateFor(name, param);
        target.step = saved.step;
        target.expAvg.copy_(saved.expAvg);
        target.expAvgSq.copy_(saved.expAvgSq);
      }
    }));
  }

  /** Frees the moment estimates; the parameters stay their module's. */
  dispose(): void {
    this.#disposeState();
  }

  #disposeState(): void {
    for (const { expAvg, expAvgSq } of this.#state.values()) {
      expAvg.dispose();
      expAvgSq.dispose();
    }
    this.#state.clear();
  }
}

function checkHyperParameters(hyper: AdamWHyperParameters, where: string): AdamWHyperParameters {
  const { lr, beta1, beta2, eps, weightDecay } = hyper;
  assert(Number.isFinite(lr) && lr >= 0, () => `${where}: lr must be a finite number >= 0, got ${lr}`);
  for (const [name, beta] of [['beta1', beta1], ['beta2', beta2]] as const) {
    assert(beta >= 0 && beta < 1, () => `${where}: ${name} must be in [0, 1), got ${beta}`);
  }
  assert(Number.isFinite(eps) && eps >= 0, () => `${where}: eps must be a finite number >= 0, got ${eps}`);
  assert(Number.isFinite(weightDecay) && weightDecay >= 0, () => `${where}: weightDecay must be a finite number >= 0, got ${weightDecay}`);
  return { lr, beta1, beta2, eps, weightDecay };
}
