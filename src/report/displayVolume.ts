/**
 * Display copies of volumes: what a report page loads into its viewers. Browsers will not fetch files from a page
 * opened from file://, but they do run classic scripts, so each copy is a small script that hands a gzip-compressed
 * NIfTI (base64) to the page. The copy stores int16 with scl_slope/scl_inter spanning the volume's own range: 65,535
 * levels, far finer than any display window, at a quarter of float32's size before compression. The full-precision
 * file is kept beside it for download and for other tools.
 */
import type { NiftiHeader } from '../io/nifti/index.js';
import { encodeNifti } from '../io/nifti/index.js';
import type { Volume } from '../volume/index.js';

export interface DisplayCopy {
  /** The script's text: `mrsynthReport.addVolume(key, base64)`. */
  readonly script: string;
  /** The size of the gzip NIfTI it holds, in bytes. */
  readonly bytes: number;
  /** The quantisation step of the copy, in the volume's units (0 for a constant volume). */
  readonly step: number;
}

/** int16's symmetric range; -32768 is left unused so that the scaling is symmetric about the volume's mid value. */
const INT16_LEVELS = 65534;

export function displayCopy(key: string, volume: Volume, like?: NiftiHeader): DisplayCopy {
  let low = Infinity, high = -Infinity;
  for (const v of volume.data) {
    if (!Number.isFinite(v)) throw new Error(`displayCopy: ${key} holds a non-finite voxel (${v}); a display copy needs finite values`);
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (volume.data.length === 0) throw new Error(`displayCopy: ${key} holds no voxel`);
  const step = (high - low) / INT16_LEVELS;
  const scaling = step > 0 ? { slope: step, inter: (high + low) / 2 } : { slope: 1, inter: low };
  const bytes = encodeNifti(volume, { like, datatype: 'int16', scaling, gzip: true, description: 'mrsynth report display copy (int16)' });
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return { script: `mrsynthReport.addVolume(${JSON.stringify(key)}, "${base64}");\n`, bytes: bytes.byteLength, step };
}
