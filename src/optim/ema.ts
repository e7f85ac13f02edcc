/**
 * `EMA`: an exponential moving average of a module's parameters, the weights diffusion models are sampled
 * with. The decay warms up as min(decay, (1 + n)/(10 + n)) over the update count n (as latent-diffusion's
 * LitEma), so early averages are not dominated by the random initialisation.
 */
import { Module } from '../nn/index.js';
import { Tensor, keep, noGrad, tidy } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { sameShape } from '../util/index.js';

export interface EMAOptions {
  /** The decay the warm-up approaches (default 0.9999). */
  decay?: number;
  /** Use min(decay, (1 + n)/(10 + n)) rather than `decay` from the first update (default true). */
  warmup?: boolean;
}

export interface EMAState {
  numUpdates: number;
  /** Averaged weights keyed by parameter name. */
  shadow: Record<string, Tensor>;
}

export class EMA {
  readonly decay: number;
  readonly warmup: boolean;
  readonly #module: Module;
  readonly #shadow = new Map<string, Tensor>();
  #numUpdates = 0;

  /** Starts the average at the module's current parameters. */
  constructor(module: Module, options: EMAOptions = {}) {
    this.decay = options.decay ?? 0.9999;
    this.warmup = options.warmup ?? true;
    assert(this.decay >= 0 && this.decay <= 1, () => `EMA: decay must be in [0, 1], got ${this.decay}`);
    this.#module = module;
    // Cloned without grad mode, so the averages are plain tensors outside any autograd graph.
    noGrad(() => {
      for (const [name, param] of module.namedParameters()) this.#shadow.set(name, keep(param.clone()));
    });
  }

  get numUpdates(): number {
    return this.#numUpdates;
  }

  /** The decay the n-th update uses (n counted from 1). */
  decayAt(n: number): number {
    return this.warmup ? Math.min(this.decay, (1 + n) / (10 + n)) : this.decay;
  }

  /** shadow ← decay·shadow + (1 − decay)·param for every parameter, without autograd; returns the decay used. */
  update(): number {
    this.#numUpdates += 1;
    const decay = this.decayAt(this.#numUpdates);
    tidy('EMA.update', () => noGrad(() => {
      for (const [name, param] of this.#module.namedParameters()) this.#shadowOf(name, param, 'EMA.update').lerp_(param, 1 - decay);
    }));
    return decay;
  }

  #shadowOf(name: string, param: Tensor, where: string): Tensor {
    const shadow = this.#shadow.get(name);
    assert(shadow !== undefined, () => `${where}: parameter '${name}' has no average (the module gained parameters after the EMA was made)`);
    assert(sameShape(shadow.shape, param.shape),
      () => `${where}: parameter '${name}' has shape ${fmtShape(param.shape)}, its average ${fmtShape(shadow.shape)}`);
    return shadow;
  }

  /** Writes the averaged weights into `module` (default: the averaged module itself), which must have the same parameters. */
  copyTo(module: Module = this.#module): void {
    noGrad(() => {
      const params = module.namedParameters();
      assert(params.length === this.#shadow.size,
        () => `EMA.copyTo: the module has ${params.length} parameters, the average ${this.#shadow.size}`);
      for (const [name, param] of params) param.copy_(this.#shadowOf(name, param, 'EMA.copyTo'));
    });
  }

  /**
   * Runs `fn` with the averaged weights in the module and puts the trained weights back afterwards, even if
   * `fn` throws: sampling with EMA weights in the middle of training.
   */
  withAveragedWeights<T>(fn: () => T): T {
    const backup = noGrad(() => this.#module.namedParameters().map(([, p]) => keep(p.clone())));
    try {
      this.copyTo();
      return fn();
    } finally {
      noGrad(() => this.#module.namedParameters().forEach(([, p], i) => p.copy_(backup[i])));
      for (const t of backup) t.dispose();
    }
  }

  /** The update count and averaged weights, for checkpoints; the tensors are new handles, the caller's to dispose. */
  state(): EMAState {
    const shadow: Record<string, Tensor> = {};
    for (const [name, t] of this.#shadow) shadow[name] = t.detach();
    return { numUpdates: this.#numUpdates, shadow };
  }

  /** Restores `state()`: exactly this EMA's parameter names with their shapes; checked before anything changes. */
  loadState(state: EMAState): void {
    assert(Number.isInteger(state.numUpdates) && state.numUpdates >= 0,
      () => `EMA.loadState: numUpdates must be a non-negative integer, got ${state.numUpdates}`);
    const names = Object.keys(state.shadow);
    const missing = [...this.#shadow.keys()].filter((k) => !Object.hasOwn(state.shadow, k));
    const unexpected = names.filter((k) => !this.#shadow.has(k));
    const mismatched = names.filter((k) => this.#shadow.has(k) && !sameShape(state.shadow[k].shape, this.#shadow.get(k)!.shape))
      .map((k) => `${k}: saved ${fmtShape(state.shadow[k].shape)} vs ${fmtShape(this.#shadow.get(k)!.shape)}`);
    assert(missing.length + unexpected.length + mismatched.length === 0,
      () => `EMA.loadState: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}], shape mismatches [${mismatched.join('; ')}]`);
    noGrad(() => {
      for (const name of names) this.#shadow.get(name)!.copy_(state.shadow[name]);
    });
    this.#numUpdates = state.numUpdates;
  }

  dispose(): void {
    for (const t of this.#shadow.values()) t.dispose();
    this.#shadow.clear();
  }
}
