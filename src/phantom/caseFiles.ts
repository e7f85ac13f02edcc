import type { Contrast, SEG } from '../data/index.js';
import { contrastFileName } from '../data/index.js';
import type { NiftiDatatype } from '../io/nifti/index.js';
import type { Volume } from '../volume/index.js';
import { STYLE_CONTRASTS, type PhantomCase, type PhantomStyle } from './generator.js';

/** One file of a generated case: where it goes (relative to the data set's folder), what and how to store. */
export interface PhantomFile {
  readonly path: string;
  readonly volume: Volume;
  readonly datatype: NiftiDatatype;
}

function rolesOf(style: PhantomStyle): (Contrast | typeof SEG)[] {
  return style === 'brats' ? [...STYLE_CONTRASTS.brats, 'seg'] : [...STYLE_CONTRASTS.ixi];
}

/**
 * The file names of a case under the naming of the data sets it imitates, known before it is generated (they
 * depend on style, seed and index only). BraTS style: a folder per case, `<case>/<case>_{t1,t1ce,t2,flair,seg}.nii.gz`
 * (BraTS 2021); IXI style: flat `IXI<nnn>-Phantom-<id>-{T1,T2,PD}.nii.gz`.
 */
export function phantomCaseFileNames(phantom: Pick<PhantomCase, 'id' | 'style'>): string[] {
  const named = { id: phantom.id, format: phantom.style === 'brats' ? 'brats2021' : 'ixi' } as const;
  const folder = phantom.style === 'brats' ? `${phantom.id}/` : '';
  return rolesOf(phantom.style).map((role) => folder + contrastFileName(named, role));
}

/** The files of a case, in the order of {@link phantomCaseFileNames}: intensities int16 like scanner data, labels uint8. */
export function phantomCaseFiles(phantom: PhantomCase): PhantomFile[] {
  const names = phantomCaseFileNames(phantom);
  return rolesOf(phantom.style).map((role, i) => role === 'seg'
    ? { path: names[i], volume: phantom.seg!, datatype: 'uint8' }
    : { path: names[i], volume: phantom.contrasts[role]!, datatype: 'int16' });
}

/** A JSON-ready record of what was drawn for a case (the lesion as centre and radii, not its shape functions). */
export function phantomCaseRecord(phantom: PhantomCase): Record<string, unknown> {
  const { lesion, ...rest } = phantom.parameters;
  return {
    id: phantom.id, style: phantom.style, seed: phantom.seed, index: phantom.index, ...rest,
    ...(lesion ? { lesion: { centreVoxel: lesion.centre, radiiMm: lesion.radii } } : {}),
  };
}
