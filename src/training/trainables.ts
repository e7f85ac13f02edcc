/**
 * What a training step changes, for the trainer: each trained network with its mixed-precision working copy, its
 * AdamW and, where the recipe averages it, its EMA; the frozen networks beside them (inherited from a parent run:
 * float32, eval mode, no gradients). The session sees the working networks; optimisers, EMAs and checkpoints see
 * the float32 masters.
 */
import type { DataParallel } from '../distributed/index.js';
import type { Module } from '../nn/index.js';
import { AdamW, EMA } from '../optim/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import { moduleToRaw } from '../nn/index.js';
import type { RunTraining } from '../runs/index.js';
import { noGrad, type Generator, type Tensor } from '../tensor/index.js';
import { assert } from '../util/index.js';
import { MixedPrecision } from './mixedPrecision.js';
import type { TrainingPlan } from './recipe.js';
import type { TrainingComponents } from './trainingCheckpoint.js';

export class Trainables {
  /** Every network as forward and backward run through it: working copies of the trained ones, the frozen ones as they are. */
  readonly working: Readonly<Record<string, Module>>;
  readonly #plan: TrainingPlan;
  readonly #precisions: Record<string, MixedPrecision<Module>> = {};
  readonly #optimizers: Record<string, AdamW> = {};
  readonly #emas: Record<string, EMA> = {};
  readonly #parallel?: DataParallel;

  constructor(plan: TrainingPlan, training: RunTraining, where: string, parallel?: DataParallel) {
    this.#parallel = parallel;
    const names = Object.keys(plan.networks);
    assert(plan.trained.every((n) => names.includes(n)) && plan.averaged.every((n) => plan.trained.includes(n)),
      () => `${where}: the recipe trains [${plan.trained.join(', ')}] and averages [${plan.averaged.join(', ')}] of the networks [${names.join(', ')}]; `
        + 'every trained network must be one of them, and every averaged one trained');
    this.#plan = plan;
    try {
      for (const name of plan.trained) {
        this.#precisions[name] = new MixedPrecision(plan.networks[name], training.precision, () => plan.build(name));
      }
      // A trained network may be part of a frozen one: its parameters stay trainable.
      const trainedParameters = new Set(plan.trained.flatMap((name) => plan.networks[name].parameters()));
      for (const name of names.filter((n) => !plan.trained.includes(n))) {
        for (const parameter of plan.networks[name].parameters()) if (!trainedParameters.has(parameter)) parameter.requiresGrad_(false);
        plan.networks[name].eval();
      }
      for (const name of plan.trained) {
        this.#optimizers[name] = new AdamW(plan.networks[name].namedParameters(), {
          lr: training.lr, weightDecay: training.weightDecay, ...(plan.betas?.[name] !== undefined && { betas: plan.betas[name] }),
        });
      }
      for (const name of plan.averaged) this.#emas[name] = new EMA(plan.networks[name], { decay: training.emaDecay });
    } catch (error) {
      this.dispose();
      throw error;
    }
    this.working = Object.fromEntries(names.map((name) => [name, this.#precisions[name]?.network ?? plan.networks[name]]));
  }

  /** What a checkpoint holds of them, with the run's `generators`. */
  components(generators: Readonly<Record<string, Generator>>): TrainingComponents {
    return { networks: this.#plan.networks, optimizers: this.#optimizers, emas: this.#emas, generators };
  }

  /** After the masters were restored from a checkpoint: rounds them into the working copies again. */
  restored(): void {
    for (const precision of Object.values(this.#precisions)) precision.syncNetwork();
  }

  /** Puts the trained networks in training mode (the frozen ones stay in eval mode). */
  train(): void {
    for (const precision of Object.values(this.#precisions)) precision.network.train();
  }

  setLearningRate(lr: number): void {
    for (const optimizer of Object.values(this.#optimizers)) optimizer.lr = lr;
  }

  /**
   * Backpropagates `loss` into network `name` alone (every gradient is dropped first, so one network's update never
   * carries another's loss) and steps its optimiser. Returns the gradient norm before clipping when clipping.
   */
  update(name: string, loss: Tensor, gradClip: number | undefined, where: string): number | undefined {
    assert(this.#optimizers[name] !== undefined, () => `${where}: the step updates '${name}', which is not a trained network (${this.#plan.trained.join(', ')})`);
    for (const precision of Object.values(this.#precisions)) precision.dropGradients();
    loss.backward();
    const parallel = this.#parallel;
    return this.#precisions[name].step(this.#optimizers[name], {
      gradClip, ...(parallel !== undefined && { reduceGradients: (parameters) => parallel.averageGradients(parameters) }),
    });
  }

  /**
   * Applies `edit` to network `name`'s master weights without gradients, then rounds them into its working copy.
   * Under data parallelism rank 0 edits and the others take its weights (a collective: every rank calls it).
   */
  editWeights(name: string, edit: (master: Module) => void, where: string): void {
    assert(this.#precisions[name] !== undefined, () => `${where}: the step edits '${name}', which is not a trained network (${this.#plan.trained.join(', ')})`);
    const master = this.#plan.networks[name];
    if (this.#parallel === undefined || this.#parallel.isRoot) noGrad(() => edit(master));
    this.#parallel?.broadcastModule(master);
    this.#precisions[name].syncNetwork();
  }

  /** Moves every EMA towards its network's new weights; once per step. */
  updateAverages(): void {
    for (const ema of Object.values(this.#emas)) ema.update();
  }

  /** Runs `fn` with every averaged network holding its EMA weights, then puts the trained ones back. */
  averaged<T>(fn: () => T): T {
    return this.#plan.averaged.reduceRight<() => T>((inner, name) => () => this.#precisions[name].withAveragedWeights(this.#emas[name], inner), fn)();
  }

  /** The weights of `name` completion samples with: its EMA where it has one, else its weights as they are. */
  samplingWeights(name: string): Record<string, RawTensor> {
    const network = this.#plan.networks[name];
    const ema = this.#emas[name];
    return ema !== undefined ? ema.withAveragedWeights(() => moduleToRaw(network)) : moduleToRaw(network);
  }

  /** Frees the working copies, optimisers and EMAs (the networks themselves are the plan's). */
  dispose(): void {
    for (const ema of Object.values(this.#emas)) ema.dispose();
    for (const optimizer of Object.values(this.#optimizers)) optimizer.dispose();
    for (const precision of Object.values(this.#precisions)) precision.dispose();
  }
}
