/**
 * The JSON sidecar written next to every synthesised volume: enough to know that it is synthetic, in which
 * units, from exactly which model and inputs, and to reproduce it (sampler, steps, noise settings, seeds,
 * completion order, placeholders, software versions). Paths are relative to the sidecar's own folder, so a
 * case folder can be moved with its sidecars.
 */
import { openRegularFile } from '../io/index.js';
import type { Contrast } from '../data/index.js';
import type { Precision } from '../nn/index.js';
import type { AnyRunConfig } from '../runs/index.js';
import type { InverseRecord, RoundTripError } from '../transforms/index.js';
import type { Placeholder } from './placeholder.js';
import type { SamplerSpec } from '../pipelines/index.js';

export const SIDECAR_FORMAT = 'mrsynth-synthesis';
export const SIDECAR_FORMAT_VERSION = 1;

export interface SidecarInput {
  readonly contrast: Contrast;
  readonly path: string;
  readonly sha256: string;
}

export interface SidecarCondition {
  readonly contrast: Contrast;
  /** 'input': the case's file; 'synthesised': the synthesis of that contrast made earlier in `order` (the same sample); 'placeholder'. */
  readonly from: 'input' | 'synthesised' | 'placeholder';
}

export interface SynthesisSidecar {
  readonly format: typeof SIDECAR_FORMAT;
  readonly formatVersion: typeof SIDECAR_FORMAT_VERSION;
  readonly synthetic: true;
  readonly case: string;
  readonly contrast: Contrast;
  readonly files: { readonly image: string; readonly std?: string; readonly samples?: readonly string[] };
  /** The run's units (modelUnits.ts): the normalised intensities the volume holds. */
  readonly units: string;
  /** Which voxels were set to the units' floor as background. */
  readonly mask: string;
  /**
   * Set where a model translated one contrast the case has into this one (`mrsynth translate`, or completion with a
   * run serving several targets): the source, the class label the model was given for the target (null for a model
   * that synthesises one contrast only), and for completion why that source (asked for, or the best validation PSNR).
   * `firstStage`: decoded from the model's first stage alone, no reverse process (`translate --first-stage`).
   */
  readonly translation?: {
    readonly source: Contrast;
    readonly classLabel: number | null;
    readonly firstStage?: true;
    readonly chosenBy?: 'option' | 'validation';
    readonly validationPsnr?: number;
  };
  /**
   * The run folder (or `builtin:<name>` for a built-in model), the SHA-256 of the weights file that made the volume
   * (the main one; the first stage's for a reconstruction or a first-stage translation) and its config; for a
   * built-in model, also what it was trained on (phantoms), so that no volume it made passes for a patient-trained one.
   */
  readonly model: {
    readonly run: string; readonly weightsSha256: string; readonly configHash: string; readonly config: AnyRunConfig; readonly trainedOn?: string;
  };
  /** Set for a reconstruction (`mrsynth reconstruct`): the input through the run's codec and back, nothing sampled. */
  readonly reconstruction?: true;
  /** As run: DDPM's default step count is resolved to the run's chain length; null for a reconstruction or a first-stage translation. */
  readonly sampler: (SamplerSpec & { readonly steps: number }) | null;
  /** What the network ran in (the weights file holds float32; bf16 rounds them on loading). */
  readonly precision: Precision;
  /**
   * The user's seed and the generator seed derived from (seed, case, contrast[, source]), as a decimal string (64-bit):
   * the first sample's; with several samples, `samples` lists each one's (sample k's derived with k, caseSeed.ts).
   */
  readonly seed: { readonly base: number; readonly derived: string; readonly samples?: readonly string[] } | null;
  /** Samples drawn; with more than one, `files.image` holds their mean and `files.std` their sample standard deviation (N − 1). */
  readonly samples: number;
  /** The most samples drawn together in one batch of the network (absent where nothing was sampled). */
  readonly batch?: number;
  /** Every contrast this completion synthesised for the case, in the order it did. */
  readonly order: readonly Contrast[];
  /** The model's conditions in input order and where each came from. */
  readonly conditions: readonly SidecarCondition[];
  /** What stood in for conditions that were neither real nor synthesised yet; null when none was needed. */
  readonly placeholder: Placeholder | null;
  readonly inputs: readonly SidecarInput[];
  /** The file whose header geometry (qform, sform, pixdim) the output carries. */
  readonly geometryFrom: string;
  /** The preprocessing as applied to this case: the model grid and every step's parameters, from which the output was mapped back. */
  readonly preprocess: InverseRecord;
  /** What the preprocessing's round trip loses on this case's inputs when it resamples (null when it does not). */
  readonly roundTripError: Record<string, RoundTripError> | null;
  readonly versions: { readonly mrsynth: string; readonly libtorch: string; readonly node: string };
  readonly createdAt: string;
}

/** The sidecar's record of the seeds of a synthesis's samples, in order, under the user's `base` seed. */
export function sidecarSeed(base: number, seeds: readonly bigint[]): NonNullable<SynthesisSidecar['seed']> {
  return { base, derived: seeds[0].toString(), ...(seeds.length > 1 && { samples: seeds.map(String) }) };
}

/** Sidecars are a few kilobytes; a larger file at a sidecar's name is someone else's. */
const SIDECAR_MAX_BYTES = 1 << 20;

/** The JSON at a sidecar's path, read with a bound on its size, or why it could not be: it is never trusted to be ours. */
async function readSidecarJson(path: string): Promise<{ readonly json: unknown } | { readonly problem: string }> {
  const handle = await openRegularFile(path).catch(() => undefined);
  if (handle === undefined) return { problem: `its sidecar ${path} cannot be read` };
  try {
    const { size } = await handle.stat();
    if (size > SIDECAR_MAX_BYTES) return { problem: `its sidecar ${path} is ${size} bytes, too large to be mrsynth's` };
    const text = (await handle.readFile()).toString('utf8');
    try {
      return { json: JSON.parse(text) as unknown };
    } catch {
      return { problem: `its sidecar ${path} is not JSON` };
    }
  } catch (error) {
    return { problem: `its sidecar ${path} cannot be read (${(error as Error).message})` };
  } finally {
    await handle.close();
  }
}

/** Whether `path` holds a synthesis sidecar mrsynth wrote (which a completion with --force may replace), not a file of the user's. */
export async function isSynthesisSidecar(path: string): Promise<boolean> {
  const read = await readSidecarJson(path);
  return 'json' in read && typeof read.json === 'object' && read.json !== null && (read.json as { format?: unknown }).format === SIDECAR_FORMAT;
}

/** How a synthesis is made, as far as its output depends on it: what a continued or skipped one must share with the earlier. */
export interface SynthesisRecipe {
  readonly weightsSha256: string;
  readonly configHash: string;
  readonly firstStage: boolean;
  readonly sampler: SynthesisSidecar['sampler'];
  readonly precision: Precision;
  /** The user's seed; null where nothing is drawn. */
  readonly seed: number | null;
  readonly samples: number;
  /** Whether each sample and the standard deviation are written too. */
  readonly savesSamples: boolean;
  /** The contrast translated from (a model serving several targets); null for a model of one target. */
  readonly source: Contrast | null;
  /** What stood in for conditions neither real nor synthesised yet; null where none did. */
  readonly placeholder: Placeholder | null;
}

/**
 * What differs between the synthesis whose sidecar is at `path` and `recipe`, in words (`sampler {…} (now {…})`), or
 * undefined where nothing does. The sidecar is read as untrusted: one that cannot be read or lacks a field differs.
 */
export async function recipeDifference(path: string, recipe: SynthesisRecipe): Promise<string | undefined> {
  const read = await readSidecarJson(path);
  if ('problem' in read) return read.problem;
  // A sidecar of mrsynth's (earlierSyntheses checked its format); a missing field reads as undefined and so differs.
  const sidecar = (read.json ?? {}) as Partial<SynthesisSidecar>;
  const earlier: Record<keyof SynthesisRecipe, unknown> = {
    weightsSha256: sidecar.model?.weightsSha256,
    configHash: sidecar.model?.configHash,
    firstStage: sidecar.translation?.firstStage === true,
    sampler: sidecar.sampler,
    precision: sidecar.precision,
    seed: sidecar.seed === null ? null : sidecar.seed?.base,
    samples: sidecar.samples,
    savesSamples: sidecar.files?.samples !== undefined,
    source: sidecar.translation?.source ?? null,
    placeholder: sidecar.placeholder,
  };
  const names: Record<keyof SynthesisRecipe, string> = {
    weightsSha256: 'the model\'s weights (SHA-256)', configHash: 'the model\'s config (hash)', firstStage: 'first stage only', sampler: 'sampler',
    precision: 'precision', seed: 'seed', samples: 'samples', savesSamples: 'each sample saved', source: 'source',
    placeholder: 'placeholder',
  };
  const differing = (Object.keys(names) as (keyof SynthesisRecipe)[])
    .filter((key) => JSON.stringify(earlier[key]) !== JSON.stringify(recipe[key]));
  return differing.length === 0 ? undefined
    : differing.map((key) => `${names[key]} ${JSON.stringify(earlier[key] ?? null)} (now ${JSON.stringify(recipe[key])})`).join(', ');
}
