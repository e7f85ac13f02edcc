/**
 * Starting the workers of one node of a distributed job, as torchrun does: each worker is this program again with
 * torchrun's variables (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE) and its share of
 * the node's cores, under a supervisor that
 * - forwards SIGINT (the workers agree on a step, checkpoint and exit) and SIGTERM/SIGHUP;
 * - stops every worker, with a message naming the rank and how it ended, as soon as one fails;
 * - leaves no orphan: each worker holds an IPC channel to the launcher and exits when it closes, which the kernel
 *   does even when the launcher is killed with SIGKILL.
 * The workers run in their own process group, so a terminal's Ctrl-C reaches them once, through the launcher.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

export interface LaunchPlan {
  /** Workers on this node. */
  readonly nprocPerNode: number;
  /** Nodes in the job, and this one's index. */
  readonly nnodes: number;
  readonly nodeRank: number;
  readonly masterAddr: string;
  readonly masterPort: number;
  /** The worker's command line after the program (e.g. `train cwdm --data …`). */
  readonly args: readonly string[];
}

/** What the launcher tells its workers, besides torchrun's variables: that they must exit with it. */
export const LAUNCHED_BY = 'MRSYNTH_LAUNCHED_BY';

/** How long workers asked to stop get before SIGKILL. */
const GRACE_MS = 15_000;

export interface LaunchOutcome {
  /** The launcher's exit status: 0 when every worker finished, else the first failure's (128 + signal for a signal). */
  readonly exitCode: number;
}

/**
 * The environment of local worker `localRank`: torchrun's variables, and MRSYNTH_THREADS dividing the cores among
 * the node's workers unless the caller set it.
 */
export function workerEnvironment(plan: LaunchPlan, localRank: number, env: NodeJS.ProcessEnv = process.env,
  cores = availableParallelism()): NodeJS.ProcessEnv {
  const worldSize = plan.nnodes * plan.nprocPerNode;
  return {
    ...env,
    MASTER_ADDR: plan.masterAddr,
    MASTER_PORT: String(plan.masterPort),
    WORLD_SIZE: String(worldSize),
    RANK: String(plan.nodeRank * plan.nprocPerNode + localRank),
    LOCAL_RANK: String(localRank),
    LOCAL_WORLD_SIZE: String(plan.nprocPerNode),
    GROUP_RANK: String(plan.nodeRank),
    MRSYNTH_THREADS: env.MRSYNTH_THREADS ?? String(Math.max(1, Math.floor(cores / plan.nprocPerNode))),
    // On one node the workers connect over loopback; across nodes Gloo resolves the host name unless told an interface.
    ...(plan.nnodes === 1 && env.GLOO_SOCKET_IFNAME === undefined && { GLOO_SOCKET_IFNAME: '127.0.0.1' }),
    [LAUNCHED_BY]: String(process.pid),
  };
}

/**
 * Runs the node's workers until they all end; `log` hears the launcher's own messages. The first local worker's
 * output goes straight to this terminal (its progress bar); the others' lines are prefixed with their rank.
 */
export async function launchWorkers(plan: LaunchPlan, log: (message: string) => void, program: readonly string[] = [...process.execArgv, process.argv[1]]):
  Promise<LaunchOutcome> {
  const workers: { rank: number; child: ChildProcess; exited: boolean }[] = [];
  let failure: number | undefined;
  let interrupted = false;
  let killTimer: NodeJS.Timeout | undefined;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of workers) if (!w.exited) w.child.kill(signal);
    killTimer ??= setTimeout(() => {
      for (const w of workers) if (!w.exited) w.child.kill('SIGKILL');
    }, GRACE_MS).unref();
  };
  const forward = (signal: NodeJS.Signals) => () => {
    if (signal === 'SIGINT') {
      interrupted = true;
      for (const w of workers) if (!w.exited) w.child.kill('SIGINT');
    } else {
      failure ??= 128 + 15;
      stopAll('SIGTERM');
    }
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  try {
    const ended = Array.from({ length: plan.nprocPerNode }, (_, localRank) => {
      const env = workerEnvironment(plan, localRank);
      const rank = Number(env.RANK);
      const prefixed = localRank > 0;
      const child = spawn(process.execPath, [...program, ...plan.args], {
        env, detached: true, stdio: ['ignore', prefixed ? 'pipe' : 'inherit', prefixed ? 'pipe' : 'inherit', 'ipc'],
      });
      const worker = { rank, child, exited: false };
      workers.push(worker);
      if (prefixed) {
        for (const [stream, sink] of [[child.stdout!, process.stdout], [child.stderr!, process.stderr]] as const) {
          createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => sink.write(`[rank ${rank}] ${line}\n`));
        }
      }
      return new Promise<void>((done) => {
        child.on('error', (error) => {
          log(`rank ${rank} could not be started: ${error.message}`);
          failure ??= 1;
          stopAll('SIGTERM');
        });
        child.on('exit', (code, signal) => {
          worker.exited = true;
          const status = code ?? 128 + signalNumber(signal);
          // 130: the worker stopped at an agreed step after its checkpoint (every rank does), after a Ctrl-C here or at any rank.
          if (status === 130) interrupted = true;
          const expected = status === 0 || status === 130;
          if (!expected && failure === undefined) {
            failure = status;
            const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
            const others = workers.filter((w) => !w.exited).map((w) => w.rank);
            log(`rank ${rank} (pid ${child.pid}) ${how}${others.length > 0 ? `; stopping rank(s) ${others.join(', ')}` : ''}`);
            stopAll('SIGTERM');
          }
          done();
        });
      });
    });
    await Promise.all(ended);
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }
  return { exitCode: failure ?? (interrupted ? 130 : 0) };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15, SIGABRT: 6 };
  return (signal !== null && numbers[signal]) || 0;
}

/**
 * In a worker the launcher started: exits (with a message naming this rank) when the launcher is gone, whether it
 * exited or was killed, and keeps the IPC channel from holding the worker open. Does nothing in other processes.
 */
export function exitWithLauncher(env: NodeJS.ProcessEnv = process.env): void {
  if (env[LAUNCHED_BY] === undefined || process.channel === undefined) return;
  process.channel.unref();
  process.once('disconnect', () => {
    process.stderr.write(`mrsynth: rank ${env.RANK}: the launcher (pid ${env[LAUNCHED_BY]}) is gone; stopping\n`);
    process.exit(1);
  });
}
