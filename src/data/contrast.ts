import { assert } from '../util/index.js';

/**
 * The one contrast vocabulary of the project. Every dataset's own names (BraTS 2023 `t1n`, IXI `T1`, …) are
 * mapped onto these on the way in, and mapped back only when a file is named (see `naming.ts`).
 */
export const CONTRASTS = ['t1', 't1ce', 't2', 'flair', 'pd'] as const;
export type Contrast = (typeof CONTRASTS)[number];

/** The segmentation travels with a case but is never a contrast to synthesise or drop. */
export const SEG = 'seg';

const ALIASES: Readonly<Record<string, Contrast>> = {
  t1: 't1', t1ce: 't1ce', t2: 't2', flair: 'flair', pd: 'pd',
  // BraTS 2023/2024: t1n = native T1, t1c = contrast-enhanced T1, t2w = T2, t2f = T2-FLAIR.
  t1n: 't1', t1c: 't1ce', t2w: 't2', t2f: 'flair',
};

export function isContrast(name: string): name is Contrast {
  return (CONTRASTS as readonly string[]).includes(name);
}

/** Canonical contrast for a name or alias in any letter case (`T1`, `t1n`, `T2F` …); undefined if unknown. */
export function contrastFromAlias(name: string): Contrast | undefined {
  return ALIASES[name.toLowerCase()];
}

/** Like {@link contrastFromAlias} but throws, naming the caller's context, when the name is unknown. */
export function parseContrast(name: string, context: string): Contrast {
  const contrast = contrastFromAlias(name);
  assert(contrast !== undefined, () =>
    `${context}: unknown contrast '${name}', expected one of ${Object.keys(ALIASES).join(', ')} (any letter case)`);
  return contrast;
}

/** Sorts contrasts into the canonical order of {@link CONTRASTS}, so listings and draws never depend on input order. */
export function canonicalOrder(contrasts: Iterable<Contrast>): Contrast[] {
  const present = new Set(contrasts);
  return CONTRASTS.filter((c) => present.has(c));
}
