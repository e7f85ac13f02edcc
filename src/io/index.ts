/**
 * Files: atomic writes and existence checks here; each format in its own folder with its own face (nifti/,
 * safetensors/, pytorch/). Bytes in, typed objects out: nothing here knows networks or optimisers.
 */
export { writeFileAtomic, writeFileAtomicSync } from './atomic.js';
export { pathExists } from './pathExists.js';
