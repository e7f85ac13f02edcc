/**
 * The launch environment of a distributed job, in torchrun's variables, which cluster schedulers (SLURM scripts,
 * Kubernetes operators) already set: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, and
 * GLOO_SOCKET_IFNAME for the interface Gloo connects over. Read once, at the edge, with errors that name the variable
 * and its value.
 */
import { ProcessGroup } from '../tensor/index.js';

export interface LaunchEnvironment {
  readonly masterAddr: string;
  readonly masterPort: number;
  readonly worldSize: number;
  readonly rank: number;
  /** This worker's index among the workers of its node. */
  readonly localRank: number;
  readonly localWorldSize: number;
  /** GLOO_SOCKET_IFNAME: the interface (or address) to connect over; undefined lets Gloo resolve the host name. */
  readonly interface?: string;
}

const WHO = 'distributed launch environment';

/**
 * The job this process belongs to, or undefined for a single process (neither WORLD_SIZE nor RANK set). A partial or
 * inconsistent set of variables is refused, naming each: a worker that silently trained alone would waste a node.
 */
export function readLaunchEnvironment(env: NodeJS.ProcessEnv = process.env): LaunchEnvironment | undefined {
  if (env.WORLD_SIZE === undefined && env.RANK === undefined) return undefined;
  const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const text = env[name];
    if (text === undefined) throw new Error(`${WHO}: ${name} is not set; a distributed worker needs MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK`);
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      throw new Error(`${WHO}: ${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got '${text}'`);
    }
    return value;
  };
  const worldSize = integer('WORLD_SIZE', 1);
  const rank = integer('RANK', 0, worldSize - 1);
  const masterAddr = env.MASTER_ADDR?.trim();
  if (!masterAddr) throw new Error(`${WHO}: MASTER_ADDR is not set; give the host of rank 0, which serves the rendezvous`);
  const masterPort = integer('MASTER_PORT', 1, 65535);
  const localWorldSize = env.LOCAL_WORLD_SIZE === undefined ? 1 : integer('LOCAL_WORLD_SIZE', 1, worldSize);
  const localRank = env.LOCAL_RANK === undefined ? 0 : integer('LOCAL_RANK', 0, localWorldSize - 1);
  const iface = env.GLOO_SOCKET_IFNAME?.trim();
  return { masterAddr, masterPort, worldSize, rank, localRank, localWorldSize, ...(iface ? { interface: iface } : {}) };
}

/** How long a worker waits for the others to start: workers of a cluster job may start minutes apart. */
const RENDEZVOUS_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Joins the job's process group (Gloo, through the TCPStore at MASTER_ADDR:MASTER_PORT), waiting up to ten minutes
 * for the other workers; each collective then waits up to `collectiveTimeoutMs` (default the same).
 */
export function joinProcessGroup(launch: LaunchEnvironment, collectiveTimeoutMs?: number): ProcessGroup {
  return ProcessGroup.create({ ...launch, timeoutMs: RENDEZVOUS_TIMEOUT_MS, collectiveTimeoutMs });
}
