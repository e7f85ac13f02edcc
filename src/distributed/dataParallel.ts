/**
 * Data parallelism over a c10d process group, in the terms a trainer needs: gradients averaged in one bucket per
 * update, small figures summed, bytes and decisions shared from rank 0, agreement checked, and a wait for rank 0
 * while it validates or writes a checkpoint. Every method is a collective: every rank must call it, in the same
 * order, or the job hangs until the group's timeout.
 */
import { fromBytes, noGrad, tensor, tidy, zeros, type Device, type ProcessGroup, type Tensor } from '../tensor/index.js';
import type { Module } from '../nn/index.js';
import type { LaunchEnvironment } from './launchEnvironment.js';

/** How long a rank waits for rank 0 to validate or checkpoint: far beyond a step's collective; a dead rank 0 is seen by its lost connection. */
const WAIT_FOR_ROOT_MS = 24 * 3600 * 1000;

export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;
  /** Ranks on this machine, which share its memory and cores. */
  readonly localWorldSize: number;
  #exchanged = { bytes: 0, seconds: 0 };

  constructor(readonly group: ProcessGroup, launch: Pick<LaunchEnvironment, 'localWorldSize'>) {
    this.rank = group.rank;
    this.worldSize = group.worldSize;
    this.localWorldSize = launch.localWorldSize;
  }

  /** Where the group's tensors must be (the CPU for Gloo); the model's tensors must be there too. */
  get device(): Device {
    return this.group.device;
  }

  get isRoot(): boolean {
    return this.rank === 0;
  }

  /**
   * Averages the gradients of `parameters` over the ranks, in place, in one all-reduce (float32). A parameter no
   * rank's backward reached keeps no gradient, as in a single process; one some ranks reached counts as zero on the
   * others. Gradients travel with one presence flag per parameter at the end of the same bucket.
   */
  averageGradients(parameters: readonly Tensor[]): void {
    if (parameters.length === 0) return;
    noGrad(() => tidy(() => {
      const grads = parameters.map((p) => p.grad);
      const bucket = grads.map((g, i) => (g === null ? zeros(parameters[i].shape, { device: this.device }) : g.float().contiguous()));
      const present = tensor(grads.map((g) => (g === null ? 0 : 1)), { dtype: 'float32', device: this.device });
      const started = performance.now();
      this.group.allReduceSum([...bucket, present]);
      this.#exchanged.seconds += (performance.now() - started) / 1000;
      this.#exchanged.bytes += 4 * (present.numel + bucket.reduce((n, t) => n + t.numel, 0));
      const counts = onCpu(present).toTypedArray<'float32'>();
      for (const [i, parameter] of parameters.entries()) {
        parameter.grad = counts[i] === 0 ? null : bucket[i].div(this.worldSize).to(parameter.grad?.dtype ?? parameter.dtype);
      }
    }));
  }

  /** Every rank's parameters and buffers of `module` become rank 0's, in place. */
  broadcastModule(module: Module): void {
    noGrad(() => {
      for (const [, t] of [...module.namedParameters(), ...module.namedBuffers()]) this.group.broadcast(t, 0, { timeoutMs: WAIT_FOR_ROOT_MS });
    });
  }

  /** The bytes of gradients this rank all-reduced, and the seconds it spent in those all-reduces, since the last call. */
  takeGradientTraffic(): { bytes: number; seconds: number } {
    const taken = this.#exchanged;
    this.#exchanged = { bytes: 0, seconds: 0 };
    return taken;
  }

  /** Sums `values` over the ranks (float64): each rank gets the totals. */
  sum(values: readonly number[]): number[] {
    if (values.length === 0) return [];
    return tidy(() => {
      const t = tensor([...values], { dtype: 'float64', device: this.device });
      this.group.allReduceSum([t]);
      return Array.from(onCpu(t).toTypedArray<'float64'>());
    });
  }

  /** Sums `t` (any numeric CPU tensor) over the ranks, in place. */
  sumInPlace(t: Tensor): void {
    this.group.allReduceSum([t]);
  }

  /** Rank 0's bytes on every rank (the others pass anything, e.g. an empty array); the length travels first. */
  shareBytes(bytes: Uint8Array): Uint8Array {
    const length = this.sharedNumber(this.isRoot ? bytes.length : 0);
    if (length === 0) return new Uint8Array(0);
    return tidy(() => {
      const t = this.isRoot ? fromBytes(bytes, 'uint8', [length]).to(this.device) : zeros([length], { dtype: 'uint8', device: this.device });
      this.group.broadcast(t, 0, { timeoutMs: WAIT_FOR_ROOT_MS });
      return new Uint8Array(onCpu(t).toTypedArray<'uint8'>());
    });
  }

  /** Rank 0's value (anything JSON can carry) on every rank. */
  shareJson<T>(value: T): T {
    const text = new TextDecoder().decode(this.shareBytes(new TextEncoder().encode(this.isRoot ? JSON.stringify(value) : '')));
    return JSON.parse(text) as T;
  }

  /** Every rank's bytes on every rank, in rank order. */
  gatherBytes(bytes: Uint8Array): Uint8Array[] {
    const lengths = this.sum(Array.from({ length: this.worldSize }, (_, r) => (r === this.rank ? bytes.length : 0)));
    const longest = Math.max(...lengths);
    return tidy(() => {
      // Each rank fills its own row of zeros, so the sum is every row.
      const rows = zeros([this.worldSize, longest], { dtype: 'uint8', device: this.device });
      if (bytes.length > 0) rows.select(0, this.rank).narrow(0, 0, bytes.length).copy_(fromBytes(bytes, 'uint8', [bytes.length]).to(this.device));
      this.group.allReduceSum([rows]);
      const all = onCpu(rows).toTypedArray<'uint8'>();
      return lengths.map((n, r) => new Uint8Array(all.subarray(r * longest, r * longest + n)));
    });
  }

  /**
   * Refuses a job whose ranks disagree on `what` (e.g. the run's config hash), on every rank, naming each rank that
   * differs from rank 0 and both values.
   */
  checkAgreement(what: string, value: string): void {
    const root = this.shareJson(value);
    const differs = this.sum(Array.from({ length: this.worldSize }, (_, r) => (r === this.rank && value !== root ? 1 : 0)));
    const odd = differs.flatMap((d, r) => (d > 0 ? [r] : []));
    if (odd.length === 0) return;
    const mine = this.rank !== 0 && value !== root ? ` (this rank, ${this.rank}: ${value})` : '';
    throw new Error(`the ranks of this job disagree on ${what}: rank 0 has ${root}, rank(s) ${odd.join(', ')} another${mine}; `
      + 'start every worker with the same command and data');
  }

  /** Waits until every rank gets here, for as long as rank 0 needs (validation, a checkpoint); a rank that died ends the wait with an error. */
  waitForAll(): void {
    this.group.barrier({ timeoutMs: WAIT_FOR_ROOT_MS });
  }

  private sharedNumber(value: number): number {
    return tidy(() => {
      const t = tensor([this.isRoot ? value : 0], { dtype: 'float64', device: this.device });
      this.group.broadcast(t, 0, { timeoutMs: WAIT_FOR_ROOT_MS });
      return onCpu(t).toTypedArray<'float64'>()[0];
    });
  }
}

function onCpu(t: Tensor): Tensor {
  return t.device === 'cpu' ? t : t.to('cpu');
}
