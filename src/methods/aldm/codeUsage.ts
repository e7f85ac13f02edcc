/**
 * How often each code of the codebook was chosen since the last re-seeding: the state of stage 1's dead-code
 * re-seeding, kept as a module with one buffer so that the trainer's checkpoints hold it (a run resumed between two
 * re-seedings counts on from where it stopped, exactly).
 */
import { Module } from '../../nn/index.js';
import { noGrad, tensor, zeros, type Device, type Tensor } from '../../tensor/index.js';

export class CodeUsage extends Module {
  readonly counts: Tensor;

  constructor(readonly codebookSize: number) {
    super();
    this.counts = this.registerBuffer('counts', zeros([codebookSize]));
  }

  /**
   * Counts the int64 code `indices` of one encoding; `combine` may first add other processes' counts of the same
   * step (a data-parallel run keeps one count for all its ranks, so every rank re-seeds the same codes).
   */
  record(indices: Tensor, combine: (counts: Tensor) => Tensor = (counts) => counts): void {
    const histogram = new Float32Array(this.codebookSize);
    for (const index of indices.toTypedArray<'int64'>()) histogram[Number(index)] += 1;
    noGrad(() => {
      const added = tensor(histogram);
      const combined = combine(added);
      this.counts.add_(combined.to(this.counts.device as Device));
      added.dispose();
    });
  }

  /** The codes not chosen since the last reset, ascending. */
  unused(): number[] {
    const counts = this.counts.toTypedArray<'float32'>();
    return Array.from(counts.keys()).filter((code) => counts[code] === 0);
  }

  reset(): void {
    noGrad(() => this.counts.zero_());
  }
}
