import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { writeFileAtomic } from '../io/index.js';
import { parseNifti, writeNifti } from '../io/nifti/index.js';
import { anatomyFromVolume, SRI24_TISSUES_PATH } from '../phantom/index.js';
import { phantomCaseFileNames, phantomCaseFiles, phantomCaseRecord } from '../phantom/index.js';
import { phantomCaseId, PHANTOM_STYLES, type PhantomCase, type PhantomStyle } from '../phantom/index.js';
import { BRATS_SHAPE, phantomGrid } from '../phantom/index.js';
import { PHANTOM_LICENSE, PHANTOM_LICENSE_FILE } from '../phantom/index.js';
import { PhantomPool } from '../phantom/index.js';
import type { Shape3 } from '../volume/index.js';
import { pathExists as exists, makeFolder } from '../io/index.js';

const STYLE_CHOICES = [...PHANTOM_STYLES, 'both'] as const;
const PARAMETERS_FILE = 'phantom-parameters.json';

interface PhantomOptions {
  out: string;
  cases: number;
  seed: number;
  shape: Shape3;
  spacing: number;
  style: (typeof STYLE_CHOICES)[number];
  overwrite?: boolean;
}

/**
 * `mrsynth phantom`: writes synthetic multi-contrast brain phantoms (BraTS-like with tumour labels, IXI-like
 * T1/T2/PD) built from the SRI24 tissue map, with their licence notice and the parameters drawn per case.
 */
export function registerPhantomCommand(program: Command): void {
  program.command('phantom')
    .description('generate synthetic brain phantoms: BraTS-style cases (T1, T1ce, T2, FLAIR, tumour labels) and/or IXI-style '
      + 'cases (T1, T2, PD) from the SRI24 anatomy; deterministic by seed, case k the same whatever --cases')
    .requiredOption('--out <dir>', 'output folder (created if needed); with --style both, cases go to <dir>/brats and <dir>/ixi')
    .requiredOption('--cases <n>', 'number of cases per style', parseCount)
    .option('--seed <int>', 'seed, an integer in [0, 2^32-1]', parseSeed, 0)
    .option('--shape <x,y,z>', 'grid in voxels', parseShape, BRATS_SHAPE)
    .option('--spacing <mm>', 'isotropic voxel size in mm (the anatomy is resampled onto the grid, centred)', parseSpacing, 1)
    .addOption(new Option('--style <style>', 'which data set to imitate').choices(STYLE_CHOICES).default('brats'))
    .option('--overwrite', 'replace files of an earlier run instead of refusing')
    .action(async (opts: PhantomOptions) => {
      const summary = await writePhantoms(opts);
      process.stdout.write(`wrote ${summary.cases} case(s) to ${opts.out} in ${summary.seconds.toFixed(1)} s `
        + `(${summary.workers} generating thread(s); writing files took ${summary.writeSeconds.toFixed(1)} s of it)\n`);
    });
}

async function writePhantoms(opts: PhantomOptions): Promise<{ cases: number; seconds: number; writeSeconds: number; workers: number }> {
  const styles: PhantomStyle[] = opts.style === 'both' ? [...PHANTOM_STYLES] : [opts.style];
  const folderOf = (style: PhantomStyle) => (opts.style === 'both' ? join(opts.out, style) : opts.out);
  const jobs = styles.flatMap((style) => Array.from({ length: opts.cases }, (_, index) => ({ style, index })));

  // Refuse before any work when an earlier run's files are in the way.
  const targets = [join(opts.out, PHANTOM_LICENSE_FILE), join(opts.out, PARAMETERS_FILE), ...jobs.flatMap(({ style, index }) =>
    phantomCaseFileNames({ id: phantomCaseId(style, opts.seed, index), style }).map((name) => join(folderOf(style), name)))];
  if (!opts.overwrite) {
    const existing = (await Promise.all(targets.map(async (path) => ((await exists(path)) ? path : undefined)))).filter(Boolean);
    if (existing.length > 0) {
      throw new Error(`phantom: ${existing.length} output file(s) exist already (first: ${existing[0]}); `
        + 'pass --overwrite to replace them or choose another --out');
    }
  }

  const tissues = await fs.readFile(SRI24_TISSUES_PATH);
  // Checks the grid here, with a clear message, before any thread starts.
  phantomGrid(anatomyFromVolume(parseNifti(tissues, SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH), opts.shape, opts.spacing);
  await makeFolder(opts.out);
  await writeFileAtomic(join(opts.out, PHANTOM_LICENSE_FILE), new TextEncoder().encode(PHANTOM_LICENSE));

  // Worker threads generate while this thread writes; at most two cases per worker wait, which bounds memory.
  const workers = Math.max(1, Math.min(4, availableParallelism(), jobs.length));
  const pool = new PhantomPool({ tissues, source: SRI24_TISSUES_PATH, shape: opts.shape, spacing: opts.spacing, workers });
  const bar = new SingleBar({ format: 'phantom [{bar}] {value}/{total} cases  {id}', stream: process.stderr }, Presets.shades_classic);
  bar.start(jobs.length, 0, { id: '' });
  const records: Record<string, unknown>[] = [];
  const started = performance.now();
  let writeSeconds = 0;
  try {
    const queued: Promise<PhantomCase>[] = [];
    let next = 0;
    const refill = () => {
      for (; next < jobs.length && queued.length < 2 * workers; next++) {
        const job = jobs[next];
        const phantom = pool.generate(opts.seed, job.index, job.style);
        // Awaited in turn below; this only keeps a failure of a case not yet reached from being reported as unhandled.
        phantom.catch(() => undefined);
        queued.push(phantom);
      }
    };
    for (let done = 0; done < jobs.length; done++) {
      refill();
      const phantom = await queued.shift()!;
      const writing = performance.now();
      for (const file of phantomCaseFiles(phantom)) {
        const path = join(folderOf(phantom.style), file.path);
        await makeFolder(dirname(path));
        await writeNifti(path, file.volume, {
          datatype: file.datatype, overwrite: opts.overwrite,
          description: `mrsynth phantom seed ${opts.seed} ${phantom.style} case ${phantom.index} (SRI24, CC BY-SA 3.0)`,
        });
      }
      writeSeconds += (performance.now() - writing) / 1000;
      records.push(phantomCaseRecord(phantom));
      bar.update(done + 1, { id: phantom.id });
    }
  } finally {
    bar.stop();
    await pool.close();
  }
  const parameters = {
    seed: opts.seed, shape: opts.shape, spacing: opts.spacing, styles, licence: PHANTOM_LICENSE_FILE, cases: records,
  };
  await writeFileAtomic(join(opts.out, PARAMETERS_FILE), new TextEncoder().encode(`${JSON.stringify(parameters, null, 1)}\n`));
  return { cases: jobs.length, seconds: (performance.now() - started) / 1000, writeSeconds, workers };
}


function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 100000) throw new InvalidArgumentError(`--cases must be an integer in [1, 100000], got '${value}'`);
  return n;
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value.trim()) || seed > 0xffffffff) throw new InvalidArgumentError(`--seed must be an integer in [0, 4294967295], got '${value}'`);
  return seed;
}

function parseShape(value: string): Shape3 {
  const parts = value.split(',').map((p) => p.trim());
  const shape = parts.map(Number);
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p)) || shape.some((n) => n < 2 || n > 1024)) {
    throw new InvalidArgumentError(`--shape must be three integers in [2, 1024] separated by commas (e.g. 96,96,64), got '${value}'`);
  }
  return [shape[0], shape[1], shape[2]];
}

function parseSpacing(value: string): number {
  const mm = Number(value);
  if (value.trim() === '' || !Number.isFinite(mm) || mm < 0.25 || mm > 10) {
    throw new InvalidArgumentError(`--spacing must be a number of mm in [0.25, 10], got '${value}'`);
  }
  return mm;
}
