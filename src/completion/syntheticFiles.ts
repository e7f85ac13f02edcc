/**
 * How a synthesised volume is recognised and named. The mark lives in the NIfTI header's descrip, inside the
 * file itself, so a synthetic volume is never taken for an acquired one — by a later `mrsynth complete` (which
 * must not condition on it as if it were real) or by a person opening it in a viewer — even after the sidecar
 * has been lost.
 */
import { assert } from '../util/index.js';
import { pathExists } from '../io/index.js';
import { readNiftiHeader, type NiftiHeader } from '../io/nifti/index.js';
import { isSynthesisSidecar } from './synthesisSidecar.js';
import type { SynthesisMap } from './writeSynthesis.js';

const MARK = /^mrsynth \S+ synthetic /;

/**
 * descrip of a synthesised volume (≤ 80 characters): the method, the contrast (and the source it was translated from),
 * what the voxels are, and the units.
 */
export function syntheticDescription(what: { method: string; contrast: string; source?: string; units: string; samples: number },
  map: SynthesisMap): string {
  const of = what.samples === 1 ? '' : map.kind === 'sample' ? `sample ${map.index} of ${what.samples}, `
    : `${map.kind === 'image' ? 'mean' : 'std'} of ${what.samples} samples, `;
  const from = what.source === undefined ? '' : ` from ${what.source}`;
  return `mrsynth ${what.method} synthetic ${what.contrast}${from}, ${of}${what.units} units`.slice(0, 80);
}

export function isSyntheticHeader(header: NiftiHeader): boolean {
  return MARK.test(header.descrip);
}

/** The files written for one synthesised contrast at `image` (a .nii.gz path). */
export interface SyntheticFiles {
  readonly image: string;
  /** Per-voxel standard deviation over the samples; written only with more than one sample. */
  readonly std: string;
  /** The JSON sidecar: same stem, `.json`, as BIDS sidecars are. */
  readonly sidecar: string;
}

export function syntheticFiles(image: string): SyntheticFiles {
  const match = /^(.*?)(\.nii(?:\.gz)?)$/i.exec(image);
  assert(match !== null, () => `syntheticFiles: an output image must end in .nii or .nii.gz, got ${image}`);
  const [, stem, extension] = match;
  return { image, std: `${stem}_std${extension}`, sidecar: `${stem}.json` };
}

/**
 * The earlier syntheses among `outputs` (images mrsynth wrote, which `force` may replace), or why they cannot be written:
 * a sidecar or an image in the way that mrsynth did not write is never replaced, not even with force.
 */
export async function earlierSyntheses(outputs: readonly SyntheticFiles[]): Promise<{ existing: string[] } | { inTheWay: string }> {
  for (const { sidecar } of outputs) {
    if (await pathExists(sidecar) && !await isSynthesisSidecar(sidecar)) {
      return { inTheWay: `would write ${sidecar}, which exists and is not a sidecar mrsynth wrote; it is never replaced, not even with --force` };
    }
  }
  const existing: string[] = [];
  for (const { image } of outputs) {
    if (!await pathExists(image)) continue;
    if (!isSyntheticHeader(await readNiftiHeader(image))) {
      return { inTheWay: `would write ${image}, which exists and was not written by mrsynth (its header has no synthetic mark); `
        + 'it is never replaced, not even with --force' };
    }
    existing.push(image);
  }
  return { existing };
}
