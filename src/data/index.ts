/** Datasets: the contrast vocabulary, discovery, file naming, grid checks, splits and BraSyn-style dropout. */
export { CONTRASTS, SEG, canonicalOrder, contrastFromAlias, isContrast, parseContrast } from './contrast.js';
export type { Contrast } from './contrast.js';
export { DATASET_FORMATS, FORMAT_CONTRASTS, describeProblem } from './dataset.js';
export type { Case, Dataset, DatasetFormat, DatasetProblem } from './dataset.js';
export { discoverDataset, relativeToRoot } from './discover.js';
export type { DiscoverOptions } from './discover.js';
export { contrastFileName, parseCaseFileName, subjectOf } from './naming.js';
export { parseManifest } from './manifest.js';
export type { Manifest, ManifestKind, ManifestOptions } from './manifest.js';
export { DEFAULT_GRID_TOLERANCE, compareGrids, gridOfHeader } from './grid.js';
export type { Grid, GridComparison, GridTolerance } from './grid.js';
export { describeScanProblem, scanDataset } from './scan.js';
export type { CaseScan, FileGrid, ScanOptions, ScanProblem, ScanReport } from './scan.js';
export { SPLIT_NAMES, splitCases, splitOf } from './split.js';
export type { SplitName, SplitOptions, Splits } from './split.js';
export { BRASYN_MODALITIES, BRASYN_SEED, DROPOUT_COMPAT, DROPOUT_RECORD, makeDropoutCopy, planBrasynDropout, planDropout } from './dropout.js';
export type { DropoutCase, DropoutCompat, DropoutOptions, DropoutRecord } from './dropout.js';
export { NumpyRandomState } from './random-state.js';
