import { assert } from '../util/index.js';
import { contrastFromAlias, SEG, type Contrast } from './contrast.js';
import type { DatasetFormat } from './dataset.js';

/** What a file name says: the case it belongs to and its role there. */
export interface CaseFileName {
  readonly caseId: string;
  readonly role: Contrast | typeof SEG;
}

type FolderFormat = Exclude<DatasetFormat, 'manifest'>;

// The case id is everything before the last separator, so ids that contain the separator themselves
// (`TCGA-DU-7294_t1`, `BraTS-GLI-00000-000-t1n`) still parse.
const PATTERNS: Readonly<Record<FolderFormat, { regex: RegExp; shape: string }>> = {
  brats2021: { regex: /^(.+)_(t1|t1ce|t2|flair|seg)\.nii(?:\.gz)?$/, shape: '<case>_{t1,t1ce,t2,flair,seg}.nii[.gz]' },
  brats2023: { regex: /^(.+)-(t1n|t1c|t2w|t2f|seg)\.nii(?:\.gz)?$/, shape: '<case>-{t1n,t1c,t2w,t2f,seg}.nii[.gz]' },
  ixi: { regex: /^(IXI\d+-[A-Za-z]+-\d+)-(T1|T2|PD)\.nii(?:\.gz)?$/, shape: 'IXI<nnn>-<site>-<id>-{T1,T2,PD}.nii[.gz]' },
};

export const FOLDER_FORMATS = Object.keys(PATTERNS) as FolderFormat[];

/** Human-readable file-name shape of a folder format, for messages. */
export function namingShape(format: FolderFormat): string {
  return PATTERNS[format].shape;
}

export function isNiftiFileName(name: string): boolean {
  return name.endsWith('.nii') || name.endsWith('.nii.gz');
}

/** Parses a base name under one folder format's convention; undefined when it does not follow it. */
export function parseCaseFileName(name: string, format: FolderFormat): CaseFileName | undefined {
  const match = PATTERNS[format].regex.exec(name);
  if (!match) return undefined;
  const [, caseId, token] = match;
  const role = token === SEG ? SEG : contrastFromAlias(token);
  assert(role !== undefined, () => `parseCaseFileName: pattern for ${format} accepted unknown token '${token}' in ${name}`);
  return { caseId, role };
}

/**
 * The patient a case belongs to. BraTS 2023/2024 ids end in a time-point number (`BraTS-GLI-00000-000`, `-001`
 * are one patient), which is dropped; the other folder formats have one case per subject.
 */
export function subjectOf(caseId: string, format: FolderFormat): string {
  return format === 'brats2023' ? caseId.replace(/-\d+$/, '') : caseId;
}

const TOKENS: Readonly<Record<FolderFormat, Readonly<Record<Contrast | typeof SEG, string | undefined>>>> = {
  brats2021: { t1: '_t1', t1ce: '_t1ce', t2: '_t2', flair: '_flair', pd: undefined, seg: '_seg' },
  brats2023: { t1: '-t1n', t1ce: '-t1c', t2: '-t2w', flair: '-t2f', pd: undefined, seg: '-seg' },
  ixi: { t1: '-T1', t1ce: undefined, t2: '-T2', flair: undefined, pd: '-PD', seg: undefined },
};

/**
 * The file name a contrast (or the segmentation) of `case` gets when we write it, following the convention of the
 * case's own format: `<case>_t1ce.nii.gz` (BraTS 2021), `<case>-t1c.nii.gz` (BraTS 2023/2024), `<case>-T1.nii.gz`
 * (IXI). Manifest cases have no convention of their own and get the canonical name, `<case>_<contrast>.nii.gz`.
 */
export function contrastFileName(c: { readonly id: string; readonly format: DatasetFormat }, role: Contrast | typeof SEG): string {
  if (c.format === 'manifest') return `${c.id}_${role}.nii.gz`;
  const tokens = TOKENS[c.format];
  const token = tokens[role];
  assert(token !== undefined, () =>
    `contrastFileName: the ${c.format} naming has no name for '${role}' (case ${c.id}); it names ${
      Object.entries(tokens).filter(([, t]) => t !== undefined).map(([r]) => r).join(', ')}`);
  return `${c.id}${token}.nii.gz`;
}
