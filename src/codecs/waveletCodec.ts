/**
 * cWDM's first stage (spec §2, "The /3 convention"): the one-level 3-D Haar DWT with the LLL band divided by 3
 * wherever coefficients feed the model, and multiplied by 3 before every IDWT. With images in [0, 1] the LLL band
 * of the raw transform reaches 2√2 ≈ 2.83; divided by 3 it stays within [0, 0.943], the range of the detail bands
 * [−√2, √2] (paper: not mentioned; code: a fixed constant 3, spec §12.2).
 */
import { F, Tensor, tidy } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { checkSpatialShape } from './checkSpatialShape.js';
import { haarDwt, haarIdwt } from './haarDwt.js';
import type { LatentCodec } from './latentCodec.js';

export interface WaveletCodecOptions {
  /** 3 for volumes (N, C, D, H, W), 2 for images (N, C, H, W). Default 3. */
  spatialDims?: 2 | 3;
  /** What each wavelet-domain axis must divide by for the denoiser: 2^(number of U-Net down-samplings). Default 16, the reference U-Net (channel_mult 1,2,2,4,4). */
  latentMultiple?: number;
  /** The reference's divisor of the LLL band. Default 3. */
  lowpassDivisor?: number;
}

export class WaveletCodec implements LatentCodec {
  readonly spatialDims: 2 | 3;
  readonly latentMultiple: number;
  readonly lowpassDivisor: number;
  readonly scaleFactor = 1;

  constructor(options: WaveletCodecOptions = {}) {
    const { spatialDims = 3, latentMultiple = 16, lowpassDivisor = 3 } = options;
    assert(spatialDims === 2 || spatialDims === 3, () => `WaveletCodec: spatialDims must be 2 or 3, got ${String(spatialDims)}`);
    assert(Number.isInteger(latentMultiple) && latentMultiple >= 1,
      () => `WaveletCodec: latentMultiple must be a positive integer, got ${String(latentMultiple)}`);
    assert(Number.isFinite(lowpassDivisor) && lowpassDivisor > 0,
      () => `WaveletCodec: lowpassDivisor must be a positive number, got ${String(lowpassDivisor)}`);
    this.spatialDims = spatialDims;
    this.latentMultiple = latentMultiple;
    this.lowpassDivisor = lowpassDivisor;
  }

  get bands(): number {
    return 2 ** this.spatialDims;
  }

  get description(): string {
    const name = this.spatialDims === 3 ? 'LLL' : 'LL';
    return `${this.spatialDims}-D Haar DWT, ${this.bands} bands per channel (channel-major), ${name}/${this.lowpassDivisor}`;
  }

  latentShape(imageShape: readonly number[]): number[] {
    checkSpatialShape('WaveletCodec.latentShape', imageShape, this.spatialDims, 2, 'the Haar transform halves every axis');
    const [n, c, ...spatial] = imageShape;
    return [n, c * this.bands, ...spatial.map((s) => s / 2)];
  }

  /** The DWT halves each axis and the U-Net then down-samples `latentMultiple` times more: image axes divide by 2·latentMultiple (32 for the reference). */
  checkImageShape(imageShape: readonly number[]): void {
    const divisor = 2 * this.latentMultiple;
    checkSpatialShape('WaveletCodec.checkImageShape', imageShape, this.spatialDims, divisor,
      `the DWT halves each axis and the denoiser needs wavelet-domain axes divisible by ${this.latentMultiple}, so image axes must divide by ${divisor}`);
  }

  /** DWT, then LLL / 3: the coefficients the model is trained on and predicts. */
  encode(image: Tensor): Tensor {
    this.#checkRank('encode', 'image', image);
    return tidy(() => this.#mapLowpass(haarDwt(image), (low) => low.div(this.lowpassDivisor)));
  }

  /** 3 · LLL, then IDWT: the image of model-convention coefficients. */
  decode(latent: Tensor): Tensor {
    this.#checkRank('decode', 'latent', latent);
    return tidy(() => haarIdwt(this.#mapLowpass(latent, (low) => low.mul(this.lowpassDivisor))));
  }

  /** Applies `fn` to the lowpass band of every image channel; the reference divides and multiplies (not × 1/3), so do we. */
  #mapLowpass(coefficients: Tensor, fn: (low: Tensor) => Tensor): Tensor {
    const [n, channels, ...spatial] = coefficients.shape;
    assert(channels % this.bands === 0,
      () => `WaveletCodec: coefficients must have a multiple of ${this.bands} channels, got ${channels} (shape ${fmtShape(coefficients.shape)})`);
    const grouped = coefficients.reshape([n, channels / this.bands, this.bands, ...spatial]);
    const low = fn(grouped.narrow(2, 0, 1));
    return F.cat([low, grouped.narrow(2, 1, this.bands - 1)], 2).reshape(coefficients.shape);
  }

  #checkRank(fn: string, name: string, x: Tensor): void {
    assert(x.ndim === this.spatialDims + 2,
      () => `WaveletCodec.${fn}: ${name} must be rank ${this.spatialDims + 2} for spatialDims ${this.spatialDims}, got rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
  }
}
