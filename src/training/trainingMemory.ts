/**
 * A training run's memory, estimated by its method before anything large is allocated, and the refusal when the
 * machine does not have it. A run that would swap or be killed by the OOM killer hours in is worse than a clear
 * message at the start.
 */
import { assert, formatGiB } from '../util/index.js';

export interface TrainingMemoryEstimate {
  /** The weights. */
  readonly parameters: number;
  /**
   * Gradients, AdamW's two moments, the EMA copy and the backup made while validating with EMA weights; in bf16
   * also the bfloat16 working copy and its gradients.
   */
  readonly optimiser: number;
  /** What autograd keeps for the backward pass of one batch. */
  readonly activations: number;
  /** The preprocessed cases held in memory. */
  readonly data: number;
  /** Node, libtorch and the allocator's slack. */
  readonly runtime: number;
  readonly total: number;
}

/** Refuses, naming both numbers and the parts, when the estimate exceeds `limit` bytes. */
export function checkTrainingMemory(estimate: TrainingMemoryEstimate, limit: number, context: string): void {
  assert(estimate.total <= limit, () => `checkTrainingMemory: ${context} would need about ${formatGiB(estimate.total)} `
    + `(weights ${formatGiB(estimate.parameters)}, gradients/AdamW/EMA ${formatGiB(estimate.optimiser)}, activations `
    + `${formatGiB(estimate.activations)}, cached cases ${formatGiB(estimate.data)}, runtime ${formatGiB(estimate.runtime)}), `
    + `but only ${formatGiB(limit)} is available; use a smaller --config, a coarser --spacing, a smaller --batch-size or fewer cases`);
}
