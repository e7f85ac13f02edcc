/**
 * The options every command that samples a run takes (complete, translate), declared once so that they read and
 * behave the same in both, and turned into the settings the sampling layer takes.
 */
import { type Command, Option } from 'commander';
import { PRECISIONS, type Precision } from '../nn/index.js';
import { DDPM_VARIANCES } from '../schedulers/index.js';
import { SAMPLER_KINDS, parseSamplerSpec, type SamplerSpec } from '../pipelines/index.js';
import { parseGiB, parseNonNegative, parsePositiveInteger, parseSeed } from './optionParsers.js';

export interface SamplingFlags {
  sampler?: string;
  steps?: number;
  eta?: number;
  variance?: string;
  precision: Precision;
  seed: number;
  samples: number;
  batch?: number;
  force?: boolean;
  allowVoxelSizeMismatch?: boolean;
  verify: boolean;
  maxMemory?: number;
}

/** What a command says of its defaults: the sampler it uses when none is given, and what a sample's seed is derived from. */
export interface SamplingDefaults {
  readonly sampler: string;
  readonly steps: string;
  readonly eta: string;
  readonly seededBy: string;
  readonly samples: string;
}

export function addSamplingOptions(command: Command, defaults: SamplingDefaults): Command {
  return command
    .addOption(new Option('--sampler <kind>', `reverse process (default ${defaults.sampler})`).choices(SAMPLER_KINDS))
    .option('--steps <k>', `sampling steps (default: ${defaults.steps})`, parsePositiveInteger)
    .option('--eta <e>', `DDIM η: 0 deterministic, 1 DDPM-like noise (default ${defaults.eta})`, parseNonNegative)
    .addOption(new Option('--variance <kind>', 'DDPM σ²: beta (the reference\'s, default) or posterior').choices(DDPM_VARIANCES))
    .addOption(new Option('--precision <p>', 'what the network runs in: bf16 is faster on CPUs with bfloat16 instructions; the noise, '
      + 'scheduler and clipping stay float32, so a seed draws the same noise in both').choices(PRECISIONS).default('fp32'))
    .option('--seed <n>', `base seed; each sample is drawn from a seed derived from (seed, ${defaults.seededBy})`, parseSeed, 0)
    .option('--samples <n>', defaults.samples, parsePositiveInteger, 1)
    .option('--batch <n>', 'the most samples drawn together in one batch of the network (default: as many as --max-memory allows, '
      + 'so it follows the machine\'s memory; the sidecar records it); each sample has its own seed, so the batch changes a sample '
      + 'only by the kernels\' rounding, which the sampling steps can amplify: give --batch to draw the same bits again', parsePositiveInteger)
    .option('--max-memory <GiB>', 'refuse a case whose estimated need exceeds this (default: the machine\'s memory)', parseGiB)
    .option('--no-verify', 'skip checking the run\'s weights against the checksums recorded when they were written (saves a '
      + 'SHA-256 pass over each weights file)')
    .option('--allow-voxel-size-mismatch', 'go ahead with cases whose voxel size differs from the training data\'s by more than a '
      + 'factor 1.25 on an axis (refused by default: a network sees anatomy at another scale as something else)');
}

/** The sampler the flags ask for, over `fallback` (the command's default) where they leave something out. */
export function samplerOf(flags: SamplingFlags, fallback: SamplerSpec): SamplerSpec {
  const kind = flags.sampler ?? fallback.kind;
  const same = kind === fallback.kind;
  return parseSamplerSpec({
    kind, steps: flags.steps ?? (same ? fallback.steps : undefined), eta: flags.eta ?? (same && 'eta' in fallback ? fallback.eta : undefined),
    variance: flags.variance,
  });
}

/** How a step's progress names the samples it advances: nothing for the only one, `sample K` or `samples K–L` (from 1). */
export function samplesLabel(first: number, batch: number, samples: number): string {
  if (samples === 1) return '';
  return batch === 1 ? ` sample ${first + 1}` : ` samples ${first + 1}–${first + batch}`;
}

/** --max-memory in bytes. */
export function memoryLimitOf(flags: SamplingFlags): number | undefined {
  return flags.maxMemory === undefined ? undefined : flags.maxMemory * 2 ** 30;
}
