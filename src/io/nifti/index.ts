/** NIfTI-1/NIfTI-2 reading and writing (.nii and .nii.gz). */
export type { NiftiDatatype } from './datatype.js';
export { NIFTI_DATATYPES } from './datatype.js';
export type { NiftiHeader } from './header.js';
export { parseNiftiHeader } from './header.js';
export type { NiftiImage } from './image.js';
export { parseNifti } from './image.js';
export { effectiveAffine } from './affine.js';
export type { NiftiWriteOptions } from './encode.js';
export { encodeNifti } from './encode.js';
export { readNifti, readNiftiHeader, readNiftiWithSha256, verifyNiftiData, writeNifti } from './files.js';
// Orientation analysis lives with the Volume type; re-exported because NIfTI callers ask for it constantly.
export { orientationCodes } from '../../volume/index.js';
