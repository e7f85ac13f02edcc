import { promises as fs } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../io/index.js';
import { readNifti, readNiftiHeader, writeNifti } from '../io/nifti/index.js';
import { voxelSizes, type Vec3 } from '../volume/index.js';
import { gridForSpacing, INTERPOLATIONS, resample, type Interpolation, type ScaledGrid } from '../volume/index.js';
import type { Shape3 } from '../volume/index.js';
import { assert, fmtShape } from '../util/index.js';
import { discoverDataset } from './discover.js';
import { gridOfHeader } from './grid.js';
import { checkNewOutputFolder } from './outputFolder.js';

export interface ResampledCopyOptions {
  /** Voxel size of the copy in mm, per axis. */
  readonly spacing: Vec3;
  /** For the contrasts; segmentations always take 'nearest', so labels stay labels. Default 'linear'. */
  readonly interpolation?: Interpolation;
  /** Called after each case is written, for progress display. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ResampledFile {
  /** Relative to the input (and output) folder. */
  readonly path: string;
  readonly from: Shape3;
  readonly to: Shape3;
  readonly interpolation: Interpolation;
}

export interface ResampledCopyRecord {
  readonly input: string;
  readonly spacing: Vec3;
  readonly interpolation: Interpolation;
  readonly cases: readonly { readonly case: string; readonly files: readonly ResampledFile[] }[];
}

/** Written into the copy: what was resampled from where, and how. */
export const RESAMPLE_RECORD = 'resample.json';

/**
 * Copies the data set in `input` to a new folder `output` on a grid of voxel size `spacing` covering the same
 * field of view (the grids share axes; see `gridForSpacing`), keeping every file's name and place, so the copy is
 * discovered as the same cases. This is how a model trained on a coarse grid (the phantoms' 3 mm) meets 1 mm
 * scans: 'area' with integer factors averages whole blocks, as a thicker acquisition would. Contrasts are
 * written as float32, segmentations in their own datatype. Nothing is written before every file's header is read and
 * its new grid checked; the output must be new or empty and outside the input.
 */
export async function makeResampledCopy(input: string, output: string, options: ResampledCopyOptions): Promise<ResampledCopyRecord> {
  const fn = 'makeResampledCopy';
  const interpolation = options.interpolation ?? 'linear';
  assert((INTERPOLATIONS as readonly string[]).includes(interpolation),
    () => `${fn}: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got '${interpolation}'`);
  assert(options.spacing.length === 3 && options.spacing.every((s) => Number.isFinite(s) && s > 0),
    () => `${fn}: spacing must be three positive sizes in mm, got ${fmtShape(options.spacing)}`);
  const inDir = resolve(input);
  const outDir = resolve(output);
  await checkNewOutputFolder(inDir, outDir, fn);
  const dataset = await discoverDataset(inDir);
  assert(dataset.format !== 'manifest', () => `${fn}: ${inDir} is a manifest; a copy keeps each file's place in the input folder, so give a data set folder`);
  assert(dataset.cases.length > 0, () => `${fn}: ${inDir} holds no case to copy`);

  // Planned from the headers first, so that a file the copy cannot be made of stops it before anything is written.
  interface PlannedFile { readonly source: string; readonly isSeg: boolean; readonly grid: ScaledGrid; readonly record: ResampledFile }
  const plan: { case: string; files: PlannedFile[] }[] = [];
  for (const c of dataset.cases) {
    const sources = [...Object.values(c.contrasts).map((source) => ({ source, isSeg: false })), ...(c.seg ? [{ source: c.seg, isSeg: true }] : [])];
    const files: PlannedFile[] = [];
    for (const { source, isSeg } of sources) {
      const how: Interpolation = isSeg ? 'nearest' : interpolation;
      const { shape, affine } = gridOfHeader(await readNiftiHeader(source));
      assert(shape.length === 3, () => `${fn}: ${source} has ${shape.length} dimensions (${fmtShape(shape)}); a copy resamples 3D volumes`);
      const grid = gridForSpacing(shape as unknown as Shape3, affine, options.spacing);
      assert(how !== 'area' || grid.factors.every(Number.isInteger), () => `${fn}: ${source} has voxels of `
        + `${fmtShape(voxelSizes(affine).map((v) => +v.toFixed(4)))} mm, so ${fmtShape(options.spacing)} mm means factors `
        + `${fmtShape(grid.factors.map((f) => +f.toFixed(4)))}; 'area' averages whole blocks and needs integer factors, use 'linear'`);
      files.push({ source, isSeg, grid, record: { path: relative(inDir, source), from: shape as unknown as Shape3, to: grid.shape, interpolation: how } });
    }
    plan.push({ case: c.id, files });
  }

  for (const [done, c] of plan.entries()) {
    for (const { source, isSeg, grid, record } of c.files) {
      const image = await readNifti(source);
      await fs.mkdir(dirname(join(outDir, record.path)), { recursive: true });
      await writeNifti(join(outDir, record.path), resample(image.volume, grid, record.interpolation), {
        like: image.header,
        datatype: isSeg ? image.header.datatype : 'float32',
        description: `mrsynth resampled to ${options.spacing.join('x')} mm (${record.interpolation})`,
      });
    }
    options.onProgress?.(done + 1, plan.length);
  }
  const cases = plan.map((c) => ({ case: c.case, files: c.files.map((f) => f.record) }));
  const record: ResampledCopyRecord = { input: inDir, spacing: options.spacing, interpolation, cases };
  await writeFileAtomic(join(outDir, RESAMPLE_RECORD), new TextEncoder().encode(`${JSON.stringify(record, null, 1)}\n`));
  return record;
}
