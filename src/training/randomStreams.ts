/**
 * The random draws of training steps (see `RandomStreams` in runs/): keyed streams derive a generator for every
 * sample from (seed, the sample's position in the run) and reseed the global generator, which dropout draws from,
 * from (seed, step) at every step; sequential streams draw from one noise generator and the global generator step
 * after step, as runs before run.json format 2 did.
 *
 * The key is the sample's position (step × batch size + index in the batch) rather than (step, index), so that a
 * batch of 2 at step s draws the timesteps and noise that batches of 1 at steps 2s and 2s + 1 would, just as the
 * data order hands it the same cases. Dropout is keyed per step, not per sample: a network draws one mask for its
 * whole batch, so it is the one draw a batch of 2 does not share with two batches of 1.
 */
import { createHash } from 'node:crypto';
import type { TrainingDraws } from '../pipelines/index.js';
import type { RandomStreams } from '../runs/index.js';
import { Generator } from '../tensor/index.js';

/** A 63-bit seed from (seed, stream, index): SHA-256, so nearby keys give unrelated generators. */
export function streamSeed(seed: number, stream: 'sample' | 'dropout' | 'flip', index: number): bigint {
  const digest = createHash('sha256').update(`mrsynth/${stream}/${seed}/${index}`).digest();
  return digest.readBigUInt64BE(0) >> 1n;
}

/**
 * Whether training sample `index` (step × batch size + index in the batch, as the sample streams key it) is mirrored
 * left–right, with probability `p`: a uniform draw from (seed, index) alone, so it needs no generator state (nothing
 * to checkpoint), is the same for either kind of stream, and draws nothing when flips are off.
 */
export function mirrorsSample(seed: number, index: number, p: number): boolean {
  if (p <= 0) return false;
  return Number(streamSeed(seed, 'flip', index) >> 10n) / 2 ** 53 < p;
}

export class TrainingStreams {
  readonly #noise?: Generator;
  #sampleGenerators: Generator[] = [];

  constructor(readonly kind: RandomStreams, readonly seed: number) {
    // Sequential runs seeded their noise generator with seed + 2 (seed + 1 is the data order's).
    if (kind === 'sequential') this.#noise = new Generator(seed + 2);
  }

  /** The generators whose state a checkpoint must carry (keyed streams carry none: they are rebuilt from the step). */
  get checkpointed(): Record<string, Generator> {
    return this.#noise === undefined ? {} : { noise: this.#noise };
  }

  /** The draws of training step `step` (0-based) over a batch of `batchSize`; valid until the next call. */
  forStep(step: number, batchSize: number): TrainingDraws {
    return this.forSamples(step, step * batchSize, batchSize);
  }

  /**
   * The draws of training step `step` over samples `firstSample` … `firstSample + count - 1` of the run (their
   * positions in the data order): one process's share of a step under data parallelism, or the whole batch of a
   * single process. Valid until the next call.
   */
  forSamples(step: number, firstSample: number, count: number): TrainingDraws {
    if (this.#noise !== undefined) return this.#noise;
    this.#releaseSamples();
    Generator.global().manualSeed(streamSeed(this.seed, 'dropout', step));
    this.#sampleGenerators = Array.from({ length: count }, (_, i) => new Generator(streamSeed(this.seed, 'sample', firstSample + i)));
    return this.#sampleGenerators;
  }

  dispose(): void {
    this.#releaseSamples();
    this.#noise?.dispose();
  }

  #releaseSamples(): void {
    for (const generator of this.#sampleGenerators) generator.dispose();
    this.#sampleGenerators = [];
  }
}
