import { fmtShape } from '../util/index.js';
import { readNiftiHeader, orientationCodes, verifyNiftiData } from '../io/nifti/index.js';
import { voxelSizes } from '../volume/index.js';
import { CONTRASTS, SEG, type Contrast } from './contrast.js';
import { describeProblem, type Dataset, type DatasetProblem } from './dataset.js';
import { compareGrids, DEFAULT_GRID_TOLERANCE, gridOfHeader, type Grid, type GridTolerance } from './grid.js';

type Role = Contrast | typeof SEG;

export interface FileGrid {
  readonly role: Role;
  readonly path: string;
  readonly shape: readonly number[];
  /** Voxel sizes in mm along the three voxel axes. */
  readonly spacing: readonly number[];
  /** nibabel-style axis codes of the effective affine, e.g. `LPS`. */
  readonly orientation: string;
  readonly affine: readonly number[];
}

export interface CaseScan {
  readonly case: string;
  readonly subject: string;
  /** Readable files, contrasts in canonical order, then the segmentation. */
  readonly files: readonly FileGrid[];
}

export type ScanProblem =
  | DatasetProblem
  | { readonly kind: 'unreadable'; readonly case: string; readonly role: Role; readonly path: string; readonly error: string }
  | {
    readonly kind: 'grid-mismatch'; readonly case: string;
    readonly role: Role; readonly shape: readonly number[];
    readonly reference: Role; readonly referenceShape: readonly number[];
    readonly maxLinearDifference: number; readonly maxTranslationDifference: number;
  };

export interface ScanReport {
  readonly root: string;
  readonly format: Dataset['format'];
  readonly contrasts: readonly Contrast[];
  readonly cases: readonly CaseScan[];
  readonly problems: readonly ScanProblem[];
}

export interface ScanOptions {
  readonly tolerance?: GridTolerance;
  /**
   * Read the headers only, not checking that each file holds the voxel data its header promises (which reads every
   * file once, inflating .nii.gz as a stream). Default false: a truncated file is reported as unreadable.
   */
  readonly headersOnly?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Reads every file's header (never the voxels) and checks that the files of each case share one grid: the
 * first readable contrast in canonical order is the reference, and every other contrast and the segmentation
 * must match its shape and effective affine within the tolerance. Unreadable files are problems, not errors,
 * so one bad file does not hide the state of the rest of the dataset.
 */
export async function scanDataset(dataset: Dataset, options: ScanOptions = {}): Promise<ScanReport> {
  const tolerance = options.tolerance ?? DEFAULT_GRID_TOLERANCE;
  const problems: ScanProblem[] = [...dataset.problems];
  const cases: CaseScan[] = [];
  for (const [index, c] of dataset.cases.entries()) {
    const roles: [Role, string][] = CONTRASTS.filter((r) => c.contrasts[r] !== undefined).map((r) => [r, c.contrasts[r]!]);
    if (c.seg !== undefined) roles.push([SEG, c.seg]);
    const files: FileGrid[] = [];
    const grids: Grid[] = [];
    for (const [role, path] of roles) {
      try {
        const grid = gridOfHeader(await (options.headersOnly ? readNiftiHeader(path) : verifyNiftiData(path)));
        grids.push(grid);
        files.push({ role, path, shape: grid.shape, spacing: voxelSizes(grid.affine), orientation: orientationCodes(grid.affine), affine: [...grid.affine] });
      } catch (error) {
        problems.push({ kind: 'unreadable', case: c.id, role, path, error: (error as Error).message });
      }
    }
    for (let i = 1; i < files.length; i++) {
      const diff = compareGrids(grids[0], grids[i], tolerance);
      if (diff.same) continue;
      problems.push({
        kind: 'grid-mismatch', case: c.id, role: files[i].role, shape: files[i].shape, reference: files[0].role, referenceShape: files[0].shape,
        maxLinearDifference: diff.maxLinearDifference, maxTranslationDifference: diff.maxTranslationDifference,
      });
    }
    cases.push({ case: c.id, subject: c.subject, files });
    options.onProgress?.(index + 1, dataset.cases.length);
  }
  return { root: dataset.root, format: dataset.format, contrasts: dataset.contrasts, cases, problems };
}

/** One line per problem, for people. */
export function describeScanProblem(problem: ScanProblem): string {
  switch (problem.kind) {
    case 'unreadable': return `case ${problem.case}: ${problem.role} file ${problem.path} is unreadable: ${problem.error}`;
    case 'grid-mismatch': return `case ${problem.case}: ${problem.role} is on another grid than ${problem.reference}: shape ${
      fmtShape(problem.shape)} vs ${fmtShape(problem.referenceShape)}, affine 3x3 part differs by up to ${
      problem.maxLinearDifference.toPrecision(3)}, translation by up to ${problem.maxTranslationDifference.toPrecision(3)} mm`;
    default: return describeProblem(problem);
  }
}
