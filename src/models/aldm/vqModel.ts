/**
 * `VQModel`: ALDM's first stage (spec §2), the reference's `VQModel` (taming/models/vqgan.py) without its training
 * loop: encoder, quantiser and decoder of stage 1 and the MS-SPADE translator of stage 2, under the reference's
 * state-dict roots `encoder`, `decoder`, `quantize`, `quant_conv`, `post_quant_conv` and `spade` (an LDM
 * checkpoint's `first_stage_model.*`). The discriminators of its losses are separate modules (`NLayerDiscriminator`);
 * the reference keeps them under `loss.discriminator`.
 */
import { type DType, Tensor, tidy } from '../../tensor/index.js';
import { Conv, Module } from '../../nn/index.js';
import { assert } from '../../util/index.js';
import { Decoder, Encoder } from './autoencoder.js';
import type { AutoencoderConfig } from './autoencoderConfig.js';
import { SpadeGenerator } from './msSpade.js';
import { type Quantized, VectorQuantizer } from './vectorQuantizer.js';

export class VQModel extends Module {
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly quantize: VectorQuantizer;
  readonly quantConv: Conv;
  readonly postQuantConv: Conv;
  readonly spade: SpadeGenerator;

  /**
   * Built in the reference's order (encoder, decoder, quantize, quant_conv, post_quant_conv, spade). The reference
   * also draws its stage-1 discriminator between the decoder and the quantiser, so with the same seed the
   * encoder and decoder match it draw for draw and the later parts do not.
   */
  constructor(readonly config: AutoencoderConfig) {
    super();
    const { zChannels, nEmbed, beta, legacyLoss, numClasses, spadeNf, spadeHidden } = config;
    const pointwise = () => new Conv({ spatialDims: 3, inChannels: zChannels, outChannels: zChannels, kernelSize: 1 });
    this.encoder = this.registerModule('encoder', new Encoder(config));
    this.decoder = this.registerModule('decoder', new Decoder(config));
    this.quantize = this.registerModule('quantize', new VectorQuantizer(nEmbed, zChannels, { beta, legacyLoss }));
    this.quantConv = this.registerModule('quant_conv', pointwise());
    this.postQuantConv = this.registerModule('post_quant_conv', pointwise());
    this.spade = this.registerModule('spade', new SpadeGenerator({ numClasses, zChannels, nf: spadeNf, hidden: spadeHidden }));
  }

  /** The dtype the model runs in: its weights' (see `Module.to`); inputs must have it. */
  get dtype(): DType {
    return this.quantConv.weight.dtype;
  }

  /** Image (N, inChannels, X, Y, Z), each axis a multiple of `encoder.spatialMultiple` → quantised latent, its loss and codes. */
  encode(x: Tensor, options: { searchRows?: number } = {}): Quantized {
    return tidy('VQModel.encode', () => this.quantize.forward(this.quantConv.forward(this.encoder.forward(x)), options));
  }

  /** Latent (N, zChannels, X, Y, Z), quantised or not (a sampler's output is decoded as it is) → image. */
  decode(z: Tensor): Tensor {
    return tidy('VQModel.decode', () => this.decoder.forward(this.postQuantConv.forward(z)));
  }

  /** Stage 2: a quantised source latent and one target contrast per sample → the target's latent (MS-SPADE). */
  translate(z: Tensor, targetClasses: Tensor | readonly number[]): Tensor {
    return this.spade.forward(z, targetClasses);
  }
}

/** Parameters per part of the first stage, as `mrsynth models info` reports them. */
export interface VQModelParameterCounts {
  encoder: number;
  decoder: number;
  codebook: number;
  quantConv: number;
  postQuantConv: number;
  spade: number;
  total: number;
}

const PART_OF_ROOT = {
  encoder: 'encoder', decoder: 'decoder', quantize: 'codebook', quant_conv: 'quantConv', post_quant_conv: 'postQuantConv', spade: 'spade',
} as const satisfies Record<string, keyof VQModelParameterCounts>;

export function vqModelParameterCounts(model: VQModel): VQModelParameterCounts {
  const counts: VQModelParameterCounts = { encoder: 0, decoder: 0, codebook: 0, quantConv: 0, postQuantConv: 0, spade: 0, total: 0 };
  for (const [key, parameter] of model.namedParameters()) {
    const root = key.slice(0, key.indexOf('.'));
    assert(Object.hasOwn(PART_OF_ROOT, root), () => `vqModelParameterCounts: parameter '${key}' belongs to no known part of the model`);
    counts[PART_OF_ROOT[root as keyof typeof PART_OF_ROOT]] += parameter.numel;
    counts.total += parameter.numel;
  }
  return counts;
}
