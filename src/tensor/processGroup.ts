/**
 * A c10d process group: ranks of one job joined through a TCPStore rendezvous (rank 0 serves it) and connected by
 * Gloo, with the collectives data-parallel training needs. Every call blocks until all ranks have taken part, or
 * fails with an Error naming the collective when a peer's connection is lost or the timeout passes.
 */
import { native } from './native.js';
import type { Tensor } from './tensor.js';

export interface ProcessGroupOptions {
  /** The rendezvous host (torchrun's MASTER_ADDR): rank 0 listens there, the others connect. */
  readonly masterAddr: string;
  /** Its port (MASTER_PORT). */
  readonly masterPort: number;
  readonly rank: number;
  readonly worldSize: number;
  /** How long the rendezvous and each collective may wait for the other ranks; default 5 minutes. */
  readonly timeoutMs?: number;
  /**
   * The network interface (e.g. `eth0`, as GLOO_SOCKET_IFNAME names it) or the address to connect ranks over. Default:
   * this host's name resolved, as Gloo does, which is wrong inside network namespaces and on multi-homed nodes.
   */
  readonly interface?: string;
}

/** The distributed backends this build has (`gloo` where Gloo's headers were found when the addon was built). */
export function distributedBackends(): string[] {
  return native.distributedBackends();
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  #id: number | undefined;

  private constructor(id: number, rank: number, worldSize: number) {
    this.#id = id;
    this.rank = rank;
    this.worldSize = worldSize;
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
    try {
      return new ProcessGroup(native.processGroupCreate(masterAddr, masterPort, rank, worldSize, Math.round(timeoutMs), options.interface ?? ''),
        rank, worldSize);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  }

  /** Sums each tensor over the ranks, in place (contiguous CPU tensors for Gloo). */
  allReduceSum(tensors: readonly Tensor[]): void {
    native.processGroupAllReduce(this.id('allReduceSum'), tensors.map((t) => t.handle));
  }

  /** Every rank's `tensor` becomes rank `root`'s, in place. */
  broadcast(tensor: Tensor, root = 0): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.worldSize) {
      throw new Error(`ProcessGroup.broadcast: root must be a rank in [0, ${this.worldSize - 1}], got ${root}`);
    }
    native.processGroupBroadcast(this.id('broadcast'), tensor.handle, root);
  }

  /** Returns once every rank has called it. */
  barrier(): void {
    native.processGroupBarrier(this.id('barrier'));
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
