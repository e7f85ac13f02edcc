import { constants as bufferConstants } from 'node:buffer';

/**
 * The limits on what an untrusted file can make a reader allocate or walk. Each is far above what a real file
 * of its kind needs, and each can be raised by a user who trusts a file that needs more: `--limit NAME=VALUE` on
 * the command line or `MRSYNTH_LIMITS="NAME=VALUE,…"` in the environment. A reader that stops at a limit names
 * the file, the limit and how to raise it ({@link overLimit}).
 *
 * Limits that the formats themselves make absurd to exceed (JSON nesting depth, header sizes) are constants of
 * their readers instead; these are the ones a large but honest file could reach.
 */
export interface ReaderLimits {
  /** Bytes of one NIfTI image, stored and decoded to float32 (a 1024³ float32 volume is 4 GiB). */
  niftiBytes: number;
  /** Entries in a ZIP archive (a torch.save checkpoint holds one per tensor storage, plus three). */
  zipEntries: number;
  /** Bytes one deflated ZIP entry may inflate to (torch.save stores entries uncompressed; others deflate). */
  zipEntryBytes: number;
  /** Values a pickle may create (numbers, strings, lists, dicts, tensors): a state dict makes about ten per tensor. */
  pickleValues: number;
  /** Keys of a checkpoint's flattened dicts and lists, counting every path to a shared value. */
  checkpointEntries: number;
  /** Bytes of a safetensors file's JSON header (about 100 bytes per tensor). */
  safetensorsHeaderBytes: number;
}

export type ReaderLimitName = keyof ReaderLimits;

const GiB = 2 ** 30;

export const DEFAULT_READER_LIMITS: Readonly<ReaderLimits> = Object.freeze({
  niftiBytes: Math.min(4 * GiB, bufferConstants.MAX_LENGTH),
  zipEntries: 100_000,
  zipEntryBytes: 4 * GiB,
  pickleValues: 20_000_000,
  checkpointEntries: 1_000_000,
  safetensorsHeaderBytes: 100_000_000,
});

/** Hard ceilings: what this process can hold at all, whatever a user asks. */
const CEILINGS: Readonly<ReaderLimits> = Object.freeze({
  niftiBytes: bufferConstants.MAX_LENGTH,
  zipEntries: 2 ** 32,
  zipEntryBytes: bufferConstants.MAX_LENGTH,
  pickleValues: 2 ** 32,
  checkpointEntries: 2 ** 32,
  safetensorsHeaderBytes: bufferConstants.MAX_LENGTH,
});

export const ENVIRONMENT_VARIABLE = 'MRSYNTH_LIMITS';

let current: ReaderLimits | undefined;

/** The limits in force: the defaults, then `MRSYNTH_LIMITS`, then whatever {@link setReaderLimits} was given. */
export function readerLimits(): Readonly<ReaderLimits> {
  current ??= { ...DEFAULT_READER_LIMITS, ...parseLimits(process.env[ENVIRONMENT_VARIABLE] ?? '', ENVIRONMENT_VARIABLE) };
  return current;
}

/** Raises (or lowers) limits for the rest of this process; the CLI calls it once with the `--limit` options. */
export function setReaderLimits(limits: Partial<ReaderLimits>): void {
  current = { ...readerLimits(), ...limits };
}

/** Back to the defaults and the environment (tests). */
export function resetReaderLimits(): void {
  current = undefined;
}

/**
 * Parses `NAME=VALUE` settings separated by commas (or given as separate strings). A value is a whole number,
 * optionally with a binary-unit suffix (KiB, MiB, GiB, TiB) or in exponent form (2e7). `origin` names where the
 * text came from in errors.
 */
export function parseLimits(text: string | readonly string[], origin: string): Partial<ReaderLimits> {
  const settings = (typeof text === 'string' ? [text] : text).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const parsed: Partial<ReaderLimits> = {};
  for (const setting of settings) {
    const match = /^([A-Za-z]+)\s*=\s*(\S+)$/.exec(setting);
    if (match === null) throw new Error(`${origin}: "${setting}" is not NAME=VALUE; the limits are ${limitNames()}`);
    const [, name, raw] = match;
    if (!isLimitName(name)) throw new Error(`${origin}: "${name}" is not a limit; the limits are ${limitNames()}`);
    const value = parseAmount(raw);
    if (value === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new Error(`${origin}: ${name}=${raw}: expected a whole number ≥ 1, optionally with KiB, MiB, GiB or TiB`);
    }
    if (value > CEILINGS[name]) throw new Error(`${origin}: ${name}=${raw} is above what this process can hold (${CEILINGS[name]})`);
    parsed[name] = value;
  }
  return parsed;
}

/** The message of an error raised when a file needs more than limit `name`: what, the limit, and how to raise it. */
export function overLimit(where: string, name: ReaderLimitName, needed: string): string {
  return `${where}: ${needed}, more than the limit ${name}=${readerLimits()[name]}; if you trust the file, `
    + `raise it with --limit ${name}=N (or ${ENVIRONMENT_VARIABLE}=${name}=N)`;
}

const UNITS: Record<string, number> = { '': 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

function parseAmount(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([KMGT]iB)?$/i.exec(raw);
  if (match === null) return undefined;
  return Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()];
}

function isLimitName(name: string): name is ReaderLimitName {
  return Object.hasOwn(DEFAULT_READER_LIMITS, name);
}

function limitNames(): string {
  return Object.keys(DEFAULT_READER_LIMITS).join(', ');
}
