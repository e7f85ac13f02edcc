import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from '../util/index.js';
import type { Shape3 } from '../volume/index.js';
import type { GenerateOptions, PhantomCase, PhantomStyle } from './generator.js';

/** What each worker is started with: the tissue map's file bytes (parsed there) and the grid. */
export interface PhantomWorkerData {
  readonly tissues: Uint8Array;
  readonly source: string;
  readonly shape: Shape3;
  readonly spacing: number;
}

export interface PhantomJob {
  readonly id: number;
  readonly seed: number;
  readonly index: number;
  readonly style: PhantomStyle;
  readonly options: GenerateOptions;
}

export type PhantomReply = { readonly id: number; readonly phantom: PhantomCase } | { readonly id: number; readonly error: string };

export interface PhantomPoolOptions {
  /** Bytes of the tissue-map NIfTI (e.g. the shipped SRI24 map) and a name for it in errors. */
  readonly tissues: Uint8Array;
  readonly source: string;
  readonly shape: Shape3;
  readonly spacing: number;
  /** Worker threads; default 2. */
  readonly workers?: number;
}

// Under tsx the sources run as .ts; the built package runs .js. The worker file sits next to this one either way.
// Module hooks do not reach worker threads in Node 20 (neither inherited nor from the worker's execArgv), so a .ts
// entry is reached through a JavaScript entry that registers tsx in the thread first.
const SOURCE_EXTENSION = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./phantomWorker${SOURCE_EXTENSION}`, import.meta.url);
function startWorker(workerData: PhantomWorkerData): Worker {
  if (SOURCE_EXTENSION !== '.ts') return new Worker(WORKER_URL, { workerData });
  const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(entry, { eval: true, workerData });
}

/**
 * Generates phantoms on worker threads, one generator per thread, so a data set uses every core. A case is the
 * same whichever worker makes it (each depends only on seed, index and style), and results come back in the
 * order asked for per call. Close the pool when done, or the threads keep the process alive.
 */
export class PhantomPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (c: PhantomCase) => void; reject: (e: Error) => void; worker: number }>();
  private readonly load: number[];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(options: PhantomPoolOptions) {
    const count = options.workers ?? 2;
    assert(Number.isInteger(count) && count >= 1 && count <= 64, () => `PhantomPool: workers must be an integer in [1, 64], got ${count}`);
    const workerData: PhantomWorkerData = { tissues: options.tissues, source: options.source, shape: options.shape, spacing: options.spacing };
    this.load = new Array(count).fill(0);
    this.workers = Array.from({ length: count }, (_, w) => {
      const worker = startWorker(workerData);
      worker.on('message', (reply: PhantomReply) => this.settle(w, reply));
      worker.on('error', (error) => this.fail(new Error(`PhantomPool: worker ${w} failed: ${error.message}`)));
      return worker;
    });
  }

  /** Generates one case on the least busy worker. */
  generate(seed: number, index: number, style: PhantomStyle, options: GenerateOptions = {}): Promise<PhantomCase> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.load.indexOf(Math.min(...this.load));
    const id = this.nextId++;
    this.load[worker]++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      this.workers[worker].postMessage({ id, seed, index, style, options } satisfies PhantomJob);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(worker: number, reply: PhantomReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    this.load[worker]--;
    if ('error' in reply) job.reject(new Error(reply.error));
    else job.resolve(reply.phantom);
  }

  /** A crashed worker fails every job still waiting, and every later one. */
  private fail(error: Error): void {
    this.failure = error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }
}
