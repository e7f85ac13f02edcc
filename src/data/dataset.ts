import type { Contrast } from './contrast.js';

/**
 * The naming schemes we discover. `brats2023` also covers BraTS 2024 and the BraSyn challenge, which use the same
 * names; `manifest` is anything else, described by a CSV or JSON file.
 */
export const DATASET_FORMATS = ['brats2021', 'brats2023', 'ixi', 'manifest'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** Contrasts a complete case of each folder format has; a manifest declares its own. */
export const FORMAT_CONTRASTS: Readonly<Record<Exclude<DatasetFormat, 'manifest'>, readonly Contrast[]>> = {
  brats2021: ['t1', 't1ce', 't2', 'flair'],
  brats2023: ['t1', 't1ce', 't2', 'flair'],
  ixi: ['t1', 't2', 'pd'],
};

/** One imaging session: its contrasts (canonical names → file paths) and, if present, its segmentation. */
export interface Case {
  readonly id: string;
  /** The patient: several cases (time points) may share it, and splits never separate them. */
  readonly subject: string;
  readonly format: DatasetFormat;
  readonly contrasts: Readonly<Partial<Record<Contrast, string>>>;
  readonly seg?: string;
}

export type DatasetProblem =
  | { readonly kind: 'incomplete'; readonly case: string; readonly missing: readonly Contrast[] }
  | { readonly kind: 'unknown-file'; readonly path: string; readonly reason: string }
  | { readonly kind: 'ambiguous'; readonly case: string; readonly role: Contrast | 'seg'; readonly paths: readonly string[] };

export interface Dataset {
  /** The folder searched, or the manifest file. */
  readonly root: string;
  readonly format: DatasetFormat;
  /** What a complete case has, in canonical order. */
  readonly contrasts: readonly Contrast[];
  /** Sorted by id. Incomplete cases are kept (and reported in `problems`). */
  readonly cases: readonly Case[];
  readonly problems: readonly DatasetProblem[];
}

/** One line per problem, for people: names the case or file and says what is wrong. */
export function describeProblem(problem: DatasetProblem): string {
  switch (problem.kind) {
    case 'incomplete': return `case ${problem.case} is incomplete: missing ${problem.missing.join(', ')}`;
    case 'unknown-file': return `unknown file ${problem.path}: ${problem.reason}`;
    case 'ambiguous': return `case ${problem.case} has ${problem.paths.length} files for ${problem.role} (${problem.paths.join(', ')}); none is used`;
  }
}
