/**
 * The cases of a data set carried out in turn, once each is planned: a case the memory limit refuses is settled before
 * any sampling; the others are worked in data set order, a failure settling its own case only (one unreadable or
 * odd case must not cost the rest of a data set; it is reported and the command fails at the end).
 */
import { promises as fs } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { LoadedRun } from './loadedRun.js';
import { memoryRefusal, type CompletionMemoryEstimate } from './completionMemory.js';

/** How a case ended when it did not go through: refused (it could not be done) or failed (it went wrong while being done). */
export interface UnsettledCase {
  readonly caseId: string;
  readonly status: 'refused' | 'failed';
  readonly reason: string;
}

export interface CaseQueue<Todo, Outcome> {
  /** The memory a case needs; refused above `limit` (default: the machine's memory). */
  readonly memory: (plan: Todo) => Promise<CompletionMemoryEstimate>;
  readonly limit?: number;
  /** Case `index` (from 1) of `of` that need work begins. */
  readonly start: (plan: Todo, index: number, of: number) => void;
  /** Does the case; its outcome, with the wall time it took in seconds. */
  readonly work: (plan: Todo, seconds: () => number) => Promise<Outcome>;
  /** A case is settled: every case gets exactly one, in data set order for cases needing no work, else as they finish. */
  readonly settled: (outcome: Outcome | UnsettledCase) => void;
}

/** The outcome of a case whose work threw. */
export function failedCase(caseId: string, error: unknown): UnsettledCase {
  return { caseId, status: 'failed', reason: error instanceof Error ? error.message : String(error) };
}

/** Bytes of every weights file of `runs`: all are loaded at once. */
export async function weightBytes(runs: readonly LoadedRun[]): Promise<number> {
  const sizes = await Promise.all(runs.flatMap((run) => Object.values(run.config.weights).map((file) => fs.stat(join(run.dir, file)).then((s) => s.size))));
  return sizes.reduce((a, b) => a + b, 0);
}

/** Carries out `plans` (one per case, in data set order); returns one outcome per case, in that order. */
export async function runCaseQueue<Todo extends { readonly caseId: string; readonly status: 'todo' }, Outcome extends { readonly caseId: string }>(
  plans: readonly (Todo | Outcome)[], queue: CaseQueue<Todo, Outcome>): Promise<(Outcome | UnsettledCase)[]> {
  const isTodo = (plan: Todo | Outcome): plan is Todo => (plan as { status?: unknown }).status === 'todo';
  const limit = queue.limit ?? totalmem();
  const settled: (Outcome | UnsettledCase)[] = [...plans] as (Outcome | UnsettledCase)[];
  for (const [i, plan] of plans.entries()) {
    if (!isTodo(plan)) continue;
    const refusal = memoryRefusal(await queue.memory(plan), limit);
    if (refusal !== undefined) settled[i] = { caseId: plan.caseId, status: 'refused', reason: refusal };
  }
  const todo: [number, Todo][] = [];
  for (const [i, plan] of plans.entries()) {
    if (isTodo(plan) && (settled[i] as { status?: unknown }).status === 'todo') todo.push([i, plan]);
    else queue.settled(settled[i]);
  }
  for (const [position, [i, plan]] of todo.entries()) {
    queue.start(plan, position + 1, todo.length);
    const started = performance.now();
    try {
      settled[i] = await queue.work(plan, () => (performance.now() - started) / 1000);
    } catch (error) {
      settled[i] = failedCase(plan.caseId, error);
    }
    queue.settled(settled[i]);
  }
  return settled;
}
