/**
 * The run's log.jsonl: one JSON object per training step and per validation, appended as they happen and
 * written with one system call per line, so a killed process leaves everything up to its last step. On resume, lines past
 * the checkpoint's step are dropped: the resumed run writes those steps again.
 */
import type { SampledValidation } from '../runs/index.js';
import { appendFileSync, promises as fs } from 'node:fs';
import { writeFileAtomic } from '../io/index.js';
import type { SampledCaseScores } from './sampledCaseScores.js';

export interface TrainStepEntry {
  readonly kind: 'train';
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  /** Global gradient norm before clipping; only when clipping is on. */
  readonly gradNorm?: number;
  /** Every loss of the step by name, where the step has several. */
  readonly losses?: Readonly<Record<string, number>>;
  /** Other figures of the step (e.g. a quantiser's perplexity). */
  readonly measures?: Readonly<Record<string, number>>;
  /**
   * Data parallelism: the bytes of gradients rank 0 all-reduced in this step and the seconds it spent in those
   * all-reduces (waiting for slower ranks included).
   */
  readonly gradientExchange?: { readonly bytes: number; readonly seconds: number };
  readonly seconds: number;
}

export interface ValidationEntry {
  readonly kind: 'validation';
  readonly step: number;
  /**
   * Mean loss on fixed validation draws (for a denoiser, (case, t, noise) triples) with the trained weights, and with
   * the EMA weights where the trained network has an EMA.
   */
  readonly loss: number;
  readonly lossEma?: number;
  /** The same draws' loss of an input-blind prediction (for a denoiser, every band's mean coefficient; see FixedValidationSet). */
  readonly baselineLoss: number;
  /** Other figures of the validation by name (e.g. reconstruction PSNR per contrast). */
  readonly measures?: Readonly<Record<string, number>>;
  /** One validation case sampled with the EMA weights, scored inside the brain. */
  readonly sample?: SampledCaseScores;
  /**
   * A model serving several targets: one validation case translated with the EMA weights from each contrast into each
   * other, scored inside the brain. The trainer records the latest in run.json (`sampledValidation`) at each checkpoint.
   */
  readonly translations?: Omit<SampledValidation, 'step'>;
  readonly seconds: number;
}

export type TrainingLogEntry = TrainStepEntry | ValidationEntry;

export class TrainingLog {
  private constructor(readonly path: string) {}

  /** A new, empty log (replacing any file at `path`). */
  static async create(path: string): Promise<TrainingLog> {
    await writeFileAtomic(path, new Uint8Array());
    return new TrainingLog(path);
  }

  /** An existing log cut back to the entries of steps ≤ `step`; a missing log starts empty. */
  static async resume(path: string, step: number): Promise<TrainingLog> {
    const text = await fs.readFile(path, 'utf8').catch(() => '');
    const kept = text.split('\n').filter((line) => line.trim() !== '' && (JSON.parse(line) as TrainingLogEntry).step <= step);
    await writeFileAtomic(path, new TextEncoder().encode(kept.map((line) => `${line}\n`).join('')));
    return new TrainingLog(path);
  }

  /** Every entry, in order. */
  static async read(path: string): Promise<TrainingLogEntry[]> {
    const text = await fs.readFile(path, 'utf8');
    return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as TrainingLogEntry);
  }

  append(entry: TrainingLogEntry): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
}
