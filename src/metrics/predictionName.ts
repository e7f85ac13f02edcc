import { assert } from '../util/index.js';
import { contrastFromAlias, type Contrast } from '../data/index.js';
import type { DatasetFormat } from '../data/index.js';
import { contrastFileName } from '../data/index.js';

/**
 * File naming of predictions. A synthesis of a missing contrast is named like the contrast itself, by the case's
 * convention (`<case>_t2.nii.gz`, `<case>-t2w.nii.gz`). A translation, made from one named source contrast
 * while the target exists (baselines, ALDM's source × target matrix), appends the source after the target with
 * the same separator and the same contrast tokens:
 *
 *   BraTS 2021 / manifest  <case>_<target>_from-<source>.nii.gz   TCGA-DU-7294_t2_from-t1.nii.gz
 *   BraTS 2023 / 2024      <case>-<target>-from-<source>.nii.gz   BraTS-GLI-00000-000-t2w-from-t1n.nii.gz
 *   IXI                    <case>-<target>-from-<source>.nii.gz   IXI002-Guys-0828-T2-from-PD.nii.gz
 *
 * so a translation never takes the name of (and never overwrites) the reference it is scored against.
 */
export interface PredictionName {
  readonly caseId: string;
  readonly target: Contrast;
  /** Set for a translation from one source contrast. */
  readonly source?: Contrast;
}

const NIFTI_SUFFIX = '.nii.gz';

export function translationFileName(
  c: { readonly id: string; readonly format: DatasetFormat }, target: Contrast, source: Contrast,
): string {
  assert(target !== source, () => `translationFileName: case ${c.id}: source and target are both '${target}'`);
  const stem = contrastFileName(c, target).slice(0, -NIFTI_SUFFIX.length);
  // contrastFileName gives `<id><separator><token>.nii.gz`; the source is written with the same separator and token.
  const sourceToken = contrastFileName(c, source).slice(c.id.length, -NIFTI_SUFFIX.length);
  return `${stem}${sourceToken[0]}from-${sourceToken.slice(1)}${NIFTI_SUFFIX}`;
}

// The case id is everything before the last contrast token, so ids containing `_` or `-` parse.
const TRANSLATION = /^(.+)([_-])([A-Za-z0-9]+)\2from-([A-Za-z0-9]+)\.nii(?:\.gz)?$/;
const SYNTHESIS = /^(.+)[_-]([A-Za-z0-9]+)\.nii(?:\.gz)?$/;

/** Parses either naming above (any supported convention's tokens, any letter case); undefined if neither fits. */
export function parsePredictionName(fileName: string): PredictionName | undefined {
  const translation = TRANSLATION.exec(fileName);
  if (translation) {
    const [, caseId, , targetToken, sourceToken] = translation;
    const target = contrastFromAlias(targetToken);
    const source = contrastFromAlias(sourceToken);
    if (target !== undefined && source !== undefined) return { caseId, target, source };
  }
  const synthesis = SYNTHESIS.exec(fileName);
  if (!synthesis) return undefined;
  const target = contrastFromAlias(synthesis[2]);
  return target === undefined ? undefined : { caseId: synthesis[1], target };
}
