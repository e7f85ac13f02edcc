import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readNifti } from '../io/nifti/index.js';
import { writeFileAtomic } from '../io/index.js';
import { absoluteError } from '../viz/index.js';
import { DEFAULT_WINDOW, parseWindowSpec, type WindowSpec } from '../viz/index.js';
import { renderSlices, type SlicePanel } from '../viz/index.js';
import { parseSlicePoint } from '../viz/index.js';
import { pathExists as exists } from '../io/index.js';

interface ViewOptions {
  out: string;
  labels?: string[];
  slice: string;
  world?: boolean;
  error?: string[];
  window: WindowSpec;
  force?: boolean;
}

/** `mrsynth view`: a PNG of axial, coronal and sagittal slices of co-registered volumes, side by side. */
export function registerViewCommand(program: Command): void {
  program.command('view')
    .description('draw axial, coronal and sagittal slices of volumes side by side (one column each) as a PNG, in RAS+ '
      + "and the neurological convention (patient's right on image right), pixels square in mm")
    .argument('[volumes...]', 'NIfTI volumes on one grid (any stored orientation)')
    .requiredOption('--out <file.png>', 'PNG to write; an existing file is kept unless --force')
    .option('--labels <a,b,c>', 'column names, one per volume (plus one for the error panel); default the file names', parseLabels)
    .option('--slice <where>', "'mid', or 'i,j,k' voxel indices of the RAS+-reoriented grid (mm with --world)", 'mid')
    .option('--world', 'read --slice as world coordinates x,y,z in mm')
    .option('--error <paths...>', 'REF PRED: add a |PRED - REF| panel with a colour bar (give it after the volumes)')
    .addOption(new Option('--window <spec>', "display window: 'pLOW,pHIGH' percentiles of nonzero voxels, or 'LOW,HIGH' intensities")
      .argParser(parseWindowOption).default(DEFAULT_WINDOW, 'p0.5,p99.5'))
    .option('--force', 'overwrite --out if it exists')
    .action(async (volumes: string[], opts: ViewOptions) => {
      const { width, height, columns } = await writeSlicePicture(volumes, opts);
      process.stdout.write(`wrote ${opts.out} (${width}x${height} px, ${columns.join(', ')})\n`);
    });
}

async function writeSlicePicture(paths: string[], opts: ViewOptions) {
  const who = 'mrsynth view';
  const errorPaths = opts.error ?? [];
  if (opts.error && errorPaths.length !== 2) {
    throw new Error(`${who}: --error takes exactly two paths REF PRED, got ${errorPaths.length} (${errorPaths.join(' ')}); `
      + 'put the volumes before --error');
  }
  if (paths.length === 0 && !opts.error) throw new Error(`${who}: no volumes given; name at least one NIfTI file or use --error REF PRED`);
  if (!opts.out.toLowerCase().endsWith('.png')) throw new Error(`${who}: --out must name a .png file, got '${opts.out}'`);
  const columns = paths.length + (opts.error ? 1 : 0);
  const labels = opts.labels ?? [...paths.map(stem), ...(opts.error ? [`|${stem(errorPaths[1])}-${stem(errorPaths[0])}|`] : [])];
  if (labels.length !== columns) {
    throw new Error(`${who}: --labels has ${labels.length} name(s) (${labels.join(',')}) for ${columns} column(s)`
      + `${opts.error ? ' (the volumes, then the error panel)' : ''}`);
  }
  const slice = parseSlicePoint(opts.slice, opts.world);
  if (!opts.force && await exists(opts.out)) throw new Error(`${who}: ${opts.out} exists; pass --force to overwrite it`);

  const panels: SlicePanel[] = [];
  for (const [n, path] of paths.entries()) panels.push({ name: labels[n], volume: (await readNifti(path)).volume });
  if (opts.error) {
    const [reference, prediction] = await Promise.all(errorPaths.map(async (path) => (await readNifti(path)).volume));
    panels.push({ name: labels[columns - 1], volume: absoluteError(reference, prediction), kind: 'error' });
  }
  const picture = renderSlices(panels, { slice, window: opts.window });
  await writeFileAtomic(opts.out, picture.png);
  return { width: picture.width, height: picture.height, columns: labels };
}

/** File name without the NIfTI extensions: `sub-01_t1.nii.gz` → `sub-01_t1`. */
function stem(path: string): string {
  return basename(path).replace(/\.nii(\.gz)?$/i, '');
}

function parseLabels(value: string): string[] {
  const labels = value.split(',').map((s) => s.trim());
  if (labels.some((s) => s === '')) throw new InvalidArgumentError(`--labels needs non-empty comma-separated names, got '${value}'`);
  return labels;
}

function parseWindowOption(value: string): WindowSpec {
  try {
    return parseWindowSpec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

