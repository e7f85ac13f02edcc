/**
 * Progress of a command that samples cases (complete, translate): a cases bar and a steps bar on stderr, and lines on
 * stdout (above the bars when both are the terminal) for what happened to each case.
 */
import { relative } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { CaseNotice } from '../completion/index.js';
import { formatRoundTripError } from '../transforms/index.js';

export class SynthesisProgress {
  readonly #bars = new MultiBar({ stream: process.stderr, clearOnComplete: true, hideCursor: true,
    format: '{name} [{bar}] {value}/{total} {label}' }, Presets.shades_classic);
  #cases: SingleBar | undefined;
  #steps: SingleBar | undefined;

  /** Case `index` (from 1) of `of` needing work begins. */
  caseStarted(index: number, of: number, label: string): void {
    this.#cases ??= this.#bars.create(of, 0, { name: 'cases', label: '' });
    this.#cases.update(index - 1, { label });
  }

  step(done: number, total: number, label: string): void {
    this.#steps ??= this.#bars.create(total, 0, { name: 'steps', label });
    this.#steps.setTotal(total);
    this.#steps.update(done, { label });
  }

  caseFinished(): void {
    this.#cases?.increment();
  }

  notice(notice: CaseNotice): void {
    this.print(describeNotice(notice));
  }

  print(line: string): void {
    if (this.#bars.isActive && process.stdout.isTTY && process.stderr.isTTY) this.#bars.log(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }

  stop(): void {
    this.#bars.stop();
  }
}

/** One line for something a case met on the way that its outcome does not say. */
export function describeNotice(notice: CaseNotice): string {
  switch (notice.kind) {
    case 'roundTrip':
      return `${notice.caseId}: the run resamples; a round trip of the inputs loses\n${formatRoundTripError(notice.error)}`;
    case 'foregroundLost':
      return `${notice.caseId}: the brain is larger than the model's box; ${notice.voxels} voxel(s) nonzero in the inputs lie `
        + 'outside it and are zero in the outputs (a preprocessing that pads to multiples, e.g. aldm-brainbox, keeps them)';
    case 'leftovers':
      return `${notice.caseId}: removed ${notice.files.length} temporary file(s) (${(notice.bytes / 2 ** 20).toFixed(1)} MiB) that an `
        + `interrupted write of its outputs left: ${notice.files.map(shortPath).join(', ')}`;
  }
}

/** `path` relative to the working folder where it lies below it. */
export function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/** "N case(s): …" and the mean time of the cases done; sets a failing exit code when any was refused or failed. */
export function summarise(outcomes: readonly { status: string; seconds?: number }[], statuses: readonly (readonly [string, string])[], done: string): void {
  const count = (status: string) => outcomes.filter((o) => o.status === status).length;
  process.stdout.write(`${outcomes.length} case(s): ${statuses.map(([status, label]) => `${count(status)} ${label}`).join(', ')}\n`);
  const seconds = outcomes.flatMap((o) => (o.status === done && o.seconds !== undefined ? [o.seconds] : []));
  if (seconds.length > 0) {
    const mean = seconds.reduce((a, b) => a + b, 0) / seconds.length;
    process.stdout.write(`${mean.toFixed(1)} s per ${done} case on average (${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s)\n`);
  }
  if (count('refused') + count('failed') > 0) process.exitCode = 1;
}
