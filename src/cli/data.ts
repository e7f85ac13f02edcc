import { Command, InvalidArgumentError, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { DATASET_FORMATS, type DatasetFormat } from '../data/index.js';
import { discoverDataset, relativeToRoot } from '../data/index.js';
import { BRASYN_SEED, DROPOUT_COMPAT, DROPOUT_RECORD, makeDropoutCopy, type DropoutCompat } from '../data/index.js';
import { DEFAULT_GRID_TOLERANCE } from '../data/index.js';
import { makeResampledCopy, RESAMPLE_RECORD } from '../data/index.js';
import { describeScanProblem, scanDataset, type ScanReport } from '../data/index.js';
import type { Vec3 } from '../volume/index.js';
import { INTERPOLATIONS, type Interpolation } from '../volume/index.js';
import { fmtShape } from '../util/index.js';

/**
 * `mrsynth data scan`, `dropout` and `resample`: look at a dataset, make a BraSyn-style pseudo-validation copy, or a
 * copy on another voxel size.
 */
export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('inspect datasets and prepare pseudo-validation and resampled copies');

  data.command('scan')
    .description('list cases, contrasts and grids (shape, spacing, orientation), and report problems: incomplete cases, '
      + 'contrasts on different grids, unknown or unreadable files')
    .argument('<dir>', 'dataset folder (BraTS 2021, BraTS 2023/2024, IXI) or a CSV/JSON manifest')
    .addOption(formatOption())
    .option('--json', 'print the full report as JSON')
    .option('--headers-only', 'read headers only, without checking that every file holds all its voxel data (faster)')
    .option('--tolerance-mm <mm>', 'largest translation difference (mm) still counted as one grid',
      parseNonNegative('--tolerance-mm'), DEFAULT_GRID_TOLERANCE.translation)
    .option('--tolerance-linear <value>', 'largest difference of the affine 3x3 part still counted as one grid',
      parseNonNegative('--tolerance-linear'), DEFAULT_GRID_TOLERANCE.linear)
    .action(async (dir: string, opts: { format?: DatasetFormat; json?: boolean; headersOnly?: boolean; toleranceMm: number; toleranceLinear: number }) => {
      const dataset = await discoverDataset(dir, { format: opts.format });
      const report = await withProgress('scan', dataset.cases.length, (onProgress) =>
        scanDataset(dataset, { tolerance: { translation: opts.toleranceMm, linear: opts.toleranceLinear }, headersOnly: opts.headersOnly, onProgress }));
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 1)}\n` : formatScanReport(report));
    });

  data.command('dropout')
    .description('copy a dataset with one contrast dropped per case (BraSyn pseudo-validation); segmentations are copied '
      + `and ${DROPOUT_RECORD} records each draw; the input is never written`)
    .requiredOption('--in <dir>', 'complete dataset folder')
    .requiredOption('--out <dir>', 'new (or empty) folder for the copy, outside the input')
    .option('--seed <int>', 'seed of the draws, an integer in [0, 2^32-1]', parseSeed, BRASYN_SEED)
    .addOption(new Option('--compat <mode>', "'brasyn' replays the organisers' dropout_modality.py draws exactly "
      + '(NumPy RandomState, sorted case folders); \'none\' draws per case from a hash of seed and case id')
      .choices(DROPOUT_COMPAT).default('none'))
    .action(async (opts: { in: string; out: string; seed: number; compat: DropoutCompat }) => {
      const record = await withProgress('dropout', undefined, (onProgress) =>
        makeDropoutCopy(opts.in, opts.out, { seed: opts.seed, compat: opts.compat, onProgress }));
      const counts = new Map<string, number>();
      for (const c of record.cases) counts.set(c.dropped, (counts.get(c.dropped) ?? 0) + 1);
      process.stdout.write(`wrote ${record.cases.length} cases to ${opts.out} (seed ${record.seed}, compat ${record.compat}); dropped: ${
        [...counts].map(([contrast, n]) => `${contrast} ${n}`).join(', ')}\n`);
      for (const s of record.skipped) process.stdout.write(`skipped ${s.case}: ${s.reason}\n`);
      for (const f of record.notCopied) process.stdout.write(`not copied ${f.path}: ${f.reason}\n`);
    });

  data.command('resample')
    .description('copy a dataset onto grids of another voxel size covering the same field of view (e.g. 1 mm scans for a '
      + `model trained at 3 mm), names kept; segmentations by nearest label; ${RESAMPLE_RECORD} records each file; the input is never written`)
    .requiredOption('--in <dir>', 'dataset folder')
    .requiredOption('--out <dir>', 'new (or empty) folder for the copy, outside the input')
    .requiredOption('--spacing <mm>', 'voxel size in mm: one size, or x,y,z', parseSpacing)
    .addOption(new Option('--interpolation <how>', "for the contrasts: 'area' averages whole blocks (integer factors only), as a "
      + 'thicker acquisition would').choices(INTERPOLATIONS).default('linear'))
    .action(async (opts: { in: string; out: string; spacing: Vec3; interpolation: Interpolation }) => {
      const record = await withProgress('resample', undefined, (onProgress) =>
        makeResampledCopy(opts.in, opts.out, { spacing: opts.spacing, interpolation: opts.interpolation, onProgress }));
      const grids = [...new Set(record.cases.flatMap((c) => c.files.map((f) => `${fmtShape(f.from)} → ${fmtShape(f.to)}`)))];
      process.stdout.write(`wrote ${record.cases.length} case(s) to ${opts.out} at ${opts.spacing.join('x')} mm (${opts.interpolation}): ${grids.join(', ')}\n`);
    });
}

function parseSpacing(value: string): Vec3 {
  const sizes = value.split(',').map((v) => Number(v.trim()));
  if (!(sizes.length === 1 || sizes.length === 3) || sizes.some((s) => !Number.isFinite(s) || s <= 0) || value.trim() === '') {
    throw new InvalidArgumentError(`--spacing must be one positive size in mm or three (x,y,z), got '${value}'`);
  }
  return (sizes.length === 1 ? [sizes[0], sizes[0], sizes[0]] : sizes) as Vec3;
}

/** Human-readable scan report: one block per case, then the problems. */
export function formatScanReport(report: ScanReport): string {
  const lines = [`${report.root}: ${report.format}, contrasts ${report.contrasts.join(', ')}; ${report.cases.length} case(s), ${
    report.problems.length} problem(s)`];
  const roleWidth = Math.max(...report.cases.flatMap((c) => c.files.map((f) => f.role.length)), 4);
  for (const c of report.cases) {
    lines.push(c.subject === c.case ? c.case : `${c.case} (subject ${c.subject})`);
    for (const f of c.files) {
      lines.push(`  ${f.role.padEnd(roleWidth)}  ${fmtShape(f.shape)}  ${f.spacing.map((s) => +s.toFixed(4)).join('x')} mm  ${f.orientation}  ${
        relativeToRoot(report, f.path)}`);
    }
  }
  if (report.problems.length > 0) lines.push('problems:', ...report.problems.map((p) => `  - ${describeScanProblem(p)}`));
  return `${lines.join('\n')}\n`;
}

function formatOption(): Option {
  return new Option('--format <format>', 'skip auto-detection of the naming scheme').choices(DATASET_FORMATS);
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value.trim()) || seed > 0xffffffff) {
    throw new InvalidArgumentError(`--seed must be an integer in [0, 4294967295], got '${value}'`);
  }
  return seed;
}

function parseNonNegative(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a non-negative number, got '${value}'`);
    return n;
  };
}

/** Runs `work` with a progress bar on stderr (shown only on a terminal); the total may arrive with the first report. */
async function withProgress<T>(label: string, total: number | undefined,
  work: (onProgress: (done: number, total: number) => void) => Promise<T>): Promise<T> {
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} cases`, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  const start = (n: number) => { bar.start(n, 0); started = true; };
  if (total !== undefined && total > 0) start(total);
  try {
    return await work((done, n) => {
      if (!started) start(n);
      bar.update(done);
    });
  } finally {
    if (started) bar.stop();
  }
}
