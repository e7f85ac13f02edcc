/**
 * A c10d process group: ranks of one job joined through a TCPStore rendezvous (rank 0 serves it) and connected by
 * Gloo, with the collectives data-parallel training needs. Every call blocks until all ranks have taken part, or
 * fails with an Error naming the collective when a peer's connection is lost or the timeout passes.
 */
import { native } from './native.js';
import type { Device, Tensor } from './tensor.js';

/** c10d's backends: Gloo for CPU tensors, NCCL for CUDA tensors (only in a build against a CUDA libtorch with NCCL). */
export type DistributedBackend = 'gloo' | 'nccl';

export interface ProcessGroupOptions {
  /** The rendezvous host (torchrun's MASTER_ADDR): rank 0 listens there, the others connect. */
  readonly masterAddr: string;
  /** Its port (MASTER_PORT). */
  readonly masterPort: number;
  readonly rank: number;
  readonly worldSize: number;
  /** How long the rendezvous may wait for the other ranks to start; default 5 minutes. */
  readonly timeoutMs?: number;
  /** How long each collective may wait for the other ranks, unless it says otherwise; default `timeoutMs`. */
  readonly collectiveTimeoutMs?: number;
  /**
   * The network interface (e.g. `eth0`, as GLOO_SOCKET_IFNAME names it) or the address to connect ranks over. Default:
   * this host's name resolved, as Gloo does, which is wrong inside network namespaces and on multi-homed nodes.
   */
  readonly interface?: string;
  /** Default gloo. */
  readonly backend?: DistributedBackend;
  /** This process's index on its machine: with NCCL, the GPU it uses (`cuda:<localRank>`). */
  readonly localRank?: number;
}

/**
 * The distributed backends this build has: `gloo` where Gloo's headers were found when the addon was built, `nccl`
 * where it was built against a CUDA libtorch with NCCL.
 */
export function distributedBackends(): DistributedBackend[] {
  return native.distributedBackends();
}

/** What one collective may override of the group's settings. */
export interface CollectiveOptions {
  /** How long this collective may wait for the other ranks; default the group's timeout. */
  readonly timeoutMs?: number;
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly collectiveTimeoutMs: number;
  /** Where this group's tensors must be: the CPU for Gloo, this process's GPU for NCCL. */
  readonly device: Device;
  #id: number | undefined;

  private constructor(id: number, rank: number, worldSize: number, collectiveTimeoutMs: number, device: Device) {
    this.#id = id;
    this.rank = rank;
    this.worldSize = worldSize;
    this.collectiveTimeoutMs = collectiveTimeoutMs;
    this.device = device;
  }

  /** Joins the group: returns once every rank has reached the rendezvous and connected. */
  static create(options: ProcessGroupOptions): ProcessGroup {
    const { masterAddr, masterPort, rank, worldSize } = options;
    const timeoutMs = options.timeoutMs ?? 300_000;
    const where = `ProcessGroup.create (rank ${rank} of ${worldSize}, rendezvous ${masterAddr}:${masterPort})`;
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`${where}: the world size must be a positive integer, got ${worldSize}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new Error(`${where}: the rank must be an integer in [0, ${worldSize - 1}], got ${rank}`);
    if (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535) throw new Error(`${where}: the port must be in 1–65535, got ${masterPort}`);
    if (!(timeoutMs > 0)) throw new Error(`${where}: the timeout must be positive, got ${timeoutMs} ms`);
    const collectiveTimeoutMs = options.collectiveTimeoutMs ?? timeoutMs;
    if (!(collectiveTimeoutMs > 0)) throw new Error(`${where}: the collective timeout must be positive, got ${collectiveTimeoutMs} ms`);
    try {
      const backend = options.backend ?? 'gloo';
      return new ProcessGroup(native.processGroupCreate(masterAddr, masterPort, rank, worldSize, Math.round(timeoutMs), options.interface ?? '', backend),
        rank, worldSize, collectiveTimeoutMs, backend === 'nccl' ? `cuda:${options.localRank ?? 0}` : 'cpu');
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  }

  /** Sums each tensor over the ranks, in place (tensors of one dtype on `device`). */
  allReduceSum(tensors: readonly Tensor[], options: CollectiveOptions = {}): void {
    native.processGroupAllReduce(this.id('allReduceSum'), tensors.map((t) => t.handle), checkTimeout(options, 'allReduceSum', this.collectiveTimeoutMs));
  }

  /** Every rank's `tensor` becomes rank `root`'s, in place. */
  broadcast(tensor: Tensor, root = 0, options: CollectiveOptions = {}): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.worldSize) {
      throw new Error(`ProcessGroup.broadcast: root must be a rank in [0, ${this.worldSize - 1}], got ${root}`);
    }
    native.processGroupBroadcast(this.id('broadcast'), tensor.handle, root, checkTimeout(options, 'broadcast', this.collectiveTimeoutMs));
  }

  /** Returns once every rank has called it. */
  barrier(options: CollectiveOptions = {}): void {
    native.processGroupBarrier(this.id('barrier'), checkTimeout(options, 'barrier', this.collectiveTimeoutMs));
  }

  /** Leaves the group; the group cannot be used afterwards. */
  close(): void {
    if (this.#id === undefined) return;
    native.processGroupDestroy(this.#id);
    this.#id = undefined;
  }

  private id(what: string): number {
    if (this.#id === undefined) throw new Error(`ProcessGroup.${what}: the group is closed`);
    return this.#id;
  }
}

/** The timeout to hand the addon. */
function checkTimeout(options: CollectiveOptions, what: string, fallback: number): number {
  if (options.timeoutMs === undefined) return Math.round(fallback);
  if (!(options.timeoutMs > 0)) throw new Error(`ProcessGroup.${what}: the timeout must be positive, got ${options.timeoutMs} ms`);
  return Math.round(options.timeoutMs);
}
