/**
 * Where the outputs of a data set's cases go: into each case's own folder, next to its inputs, or, with `out`, into
 * that folder instead, mirroring the case folders below the data set's root.
 */
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { canonicalOrder, discoverDataset, type Case, type Contrast } from '../data/index.js';
import { makeFolder } from '../io/index.js';

export interface CaseFolder {
  readonly c: Case;
  /** The folder its outputs go to. */
  readonly dir: string;
}

/** The cases of the case folder, data set folder or manifest `input`, each with its output folder; and the data set's contrasts. */
export async function caseFolders(input: string, out: string | undefined): Promise<{ cases: CaseFolder[]; contrasts: readonly Contrast[] }> {
  const dataset = await discoverDataset(input);
  const base = dataset.format === 'manifest' ? dirname(dataset.root) : dataset.root;
  if (out !== undefined) await makeFolder(out);
  const cases = dataset.cases.map((c) => {
    const present = canonicalOrder(Object.keys(c.contrasts) as Contrast[]);
    const caseDir = present.length > 0 ? dirname(c.contrasts[present[0]]!) : base;
    const rel = relative(base, caseDir);
    // A case outside the data set's folder (a manifest may point anywhere) gets a folder named after it.
    const mirrored = rel.startsWith('..') || isAbsolute(rel) ? c.id : rel;
    return { c, dir: out === undefined ? caseDir : join(resolve(out), mirrored) };
  });
  return { cases, contrasts: dataset.contrasts };
}
