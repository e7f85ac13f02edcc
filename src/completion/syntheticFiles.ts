/**
 * How a synthesised volume is recognised and named. The mark lives in the NIfTI header's descrip, inside the
 * file itself, so a synthetic volume is never taken for an acquired one — by a later `mrsynth complete` (which
 * must not condition on it as if it were real) or by a person opening it in a viewer — even after the sidecar
 * has been lost.
 */
import { assert } from '../util/index.js';
import type { NiftiHeader } from '../io/nifti/index.js';
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
