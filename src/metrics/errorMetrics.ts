import { assert } from '../util/index.js';

/** Voxel-wise error figures of a prediction against its reference, over a region. */
export interface ErrorMetrics {
  /** mean((pred − ref)²) */
  readonly mse: number;
  /** mean(|pred − ref|) */
  readonly mae: number;
  /** 10·log10(R² / MSE) dB; +Infinity for identical volumes, as skimage. */
  readonly psnr: number;
  /** ‖pred − ref‖² / ‖ref‖², the normalised MSE ALDM reports. */
  readonly nmse: number;
}

/**
 * MSE, MAE, PSNR and NMSE in one pass with float64 sums, over every voxel or only where `mask` is nonzero.
 * An empty region gives NaN for every figure (there is nothing to score), never an error, so one case without
 * tumour does not stop a run.
 */
export function errorMetrics(pred: Float32Array, ref: Float32Array, dataRange: number, mask?: Uint8Array): ErrorMetrics {
  assert(pred.length === ref.length, () => `errorMetrics: pred has ${pred.length} voxels, ref ${ref.length}; expected equal`);
  assert(mask === undefined || mask.length === ref.length, () => `errorMetrics: mask has ${mask!.length} voxels, ref ${ref.length}`);
  assert(Number.isFinite(dataRange) && dataRange > 0, () => `errorMetrics: dataRange must be a positive finite number, got ${dataRange}`);
  let squared = 0;
  let absolute = 0;
  let energy = 0;
  let count = 0;
  for (let v = 0; v < ref.length; v++) {
    if (mask !== undefined && mask[v] === 0) continue;
    const r = ref[v];
    const d = pred[v] - r;
    squared += d * d;
    absolute += Math.abs(d);
    energy += r * r;
    count++;
  }
  const mse = squared / count;
  return { mse, mae: absolute / count, psnr: psnrFromMse(mse, dataRange), nmse: squared / energy };
}

export function psnrFromMse(mse: number, dataRange: number): number {
  return 10 * Math.log10((dataRange * dataRange) / mse);
}
