/**
 * The contract every synthesis method fulfils, so that the layers serving all methods (run folders, completion,
 * weight import, the command line) handle a method by its name without knowing its networks or codec. A method
 * lives in its own folder under src/methods/ and is registered in src/methods/index.ts; nothing else changes when
 * one is added.
 */
import type { Contrast } from '../data/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import type { Module } from '../nn/index.js';
import type { DiffusionPipeline } from '../pipelines/index.js';
import type { AnyRunConfig, RunSchedule } from '../runs/index.js';
import type { TrainingRecipe } from '../training/index.js';

/** One part of a network (e.g. its input blocks) and how many parameters it holds. */
export interface ParameterPart {
  readonly part: string;
  readonly parameters: number;
}

/** What the published reference weights of a method assume, for importing them as a run (`mrsynth convert --run-dir`). */
export interface ReferenceConventions {
  /** The conditions, in input-channel order, of the reference's model for `target`. */
  conditions(target: Contrast): Contrast[];
  readonly schedule: RunSchedule;
  /** A preprocessing preset or config (anything parsePreprocessConfig accepts). */
  readonly preprocess: unknown;
  /** The network the published weights are of, and the run file they go to (run.json's `weights`). */
  readonly weights: Readonly<Record<string, string>>;
  /**
   * Key prefixes of the published state dicts that belong to training, not to the networks, left out on import: ALDM's
   * Lightning checkpoints hold the loss and its discriminator as a submodule (`loss.`).
   */
  readonly setAside?: readonly string[];
}

export interface SynthesisMethod<Config = unknown> {
  readonly name: string;
  readonly description: string;
  /** Network config presets (`--config`). */
  readonly presets: readonly string[];
  /**
   * Checks a network config — a preset name, a config object as run.json's `methodConfig` holds it, or `{ preset,
   * ...changes }` — and returns it frozen and JSON-serialisable; with `conditions`, also that it takes that many.
   */
  parseConfig(raw: unknown, conditions?: readonly Contrast[]): Config;
  /** The networks a config describes, freshly initialised, by name (the keys of run.json's `weights`); the first is the main one. */
  buildNetworks(config: Config): Record<string, Module>;
  /** Parameters per part of the built networks, in the order the reference reports them; every parameter in one part. */
  parameterCounts(networks: Record<string, Module>): ParameterPart[];
  /** Parameters of the networks only training uses (discriminators), which no run's weights hold. */
  trainingParameterCounts?(config: Config): ParameterPart[];
  /** Refuses a run whose envelope this method cannot serve (e.g. intensity units it was not built for); `where` names the run. */
  checkRun(config: AnyRunConfig, where: string): void;
  /** The run's pipeline, each network's weights loaded strictly from `weights` (network name → tensors, as run.json names them). */
  pipeline(config: AnyRunConfig, weights: Readonly<Record<string, Readonly<Record<string, RawTensor>>>>, where: string): DiffusionPipeline<unknown>;
  /**
   * Bytes the networks of the run's pipeline keep alive beyond their weights during a reverse step over `modelVoxels`
   * voxels of its model grid, for a batch of `batch` samples (the pipeline decodes a batch one sample at a time).
   * Completion adds the weights and what it holds itself, and refuses a case that will not fit.
   */
  samplingMemory?(config: AnyRunConfig, modelVoxels: number, batch: number): number;
  /**
   * The network that translates by itself, without the reverse process, where the method has one (ALDM's autoencoder
   * with its MS-SPADE; `translate --first-stage`, `reconstruct`): its weights file, not the main one, names what it
   * makes, so such outputs stay current while later stages train on top of it.
   */
  readonly firstStageNetwork?: string;
  /** Conventions of the method's published weights, where it has any. */
  readonly reference?: ReferenceConventions;
  /** How the method is trained (`mrsynth train <name>`); absent for a method whose runs can only be imported. */
  readonly training?: TrainingRecipe<Config>;
}
