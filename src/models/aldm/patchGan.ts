/**
 * `NLayerDiscriminator`: the reference's 3-D PatchGAN (taming/modules/discriminator/model.py; spec §2.4), which
 * scores overlapping patches of its input: stride-2 4×4×4 convolutions, then a stride-1 one, each but the first
 * followed by GroupNorm(32) and all by LeakyReLU(0.2), then a stride-1 conv to `outChannels` logit maps. Stage 1
 * judges images (1 → 1 map); stage 2 judges latents and classifies their contrast (z → classes + 1 maps). Keys
 * as the reference's Sequential `main.{i}`, counting the parameterless layers: convs at 0, 2, 5, 8, …, GroupNorms
 * at 3, 6, ….
 */
import { Tensor, noGrad } from '../../tensor/index.js';
import { Conv, GroupNorm, LeakyReLU, Module, Sequential, type TensorModule } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { type AutoencoderConfig, DISCRIMINATOR_GROUPS } from './autoencoderConfig.js';

const KERNEL = 4;
const LEAKY_SLOPE = 0.2;
/** The reference's `weights_init`: conv weights N(0, 0.02); biases keep PyTorch's default, GroupNorm 1 and 0. */
const CONV_INIT_STD = 0.02;

export interface NLayerDiscriminatorOptions {
  inChannels: number;
  outChannels: number;
  /** Width of the first layer. */
  ndf: number;
  /** Stride-2 layers; the stride-1 layer after them is not counted, as in the reference's `n_layers`. */
  numLayers: number;
}

export class NLayerDiscriminator extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  /** The first convolution and numLayers − 1 more halve each axis. */
  readonly strideTwoLayers: number;
  readonly #main: Sequential;

  /** Builds (drawing PyTorch's default init) in the reference's order, then redraws every conv weight as `weights_init` does. */
  constructor(options: NLayerDiscriminatorOptions) {
    super();
    const { inChannels, outChannels, ndf, numLayers } = options;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.strideTwoLayers = numLayers;
    const conv = (cin: number, cout: number, stride: number, bias: boolean) =>
      new Conv({ spatialDims: 3, inChannels: cin, outChannels: cout, kernelSize: KERNEL, stride, padding: 1, bias });
    const layers: TensorModule[] = [conv(inChannels, ndf, 2, true), new LeakyReLU(LEAKY_SLOPE)];
    let width = ndf;
    for (let n = 1; n <= numLayers; n++) {
      const next = ndf * Math.min(2 ** n, 8);
      // GroupNorm's affine parameters make a bias redundant (the reference's use_bias = False).
      layers.push(conv(width, next, n < numLayers ? 2 : 1, false), new GroupNorm(DISCRIMINATOR_GROUPS, next), new LeakyReLU(LEAKY_SLOPE));
      width = next;
    }
    layers.push(conv(width, outChannels, 1, true));
    this.#main = this.registerModule('main', new Sequential(...layers));
    noGrad(() => {
      for (const layer of layers) if (layer instanceof Conv) layer.weight.normal_(0, CONV_INIT_STD);
    });
  }

  /**
   * The smallest axis the network takes: each stride-2 layer halves an axis (rounding down), each of the two
   * stride-1 ones shortens it by one, and one logit must remain.
   */
  get minimumInputSize(): number {
    return 3 * 2 ** this.strideTwoLayers;
  }

  /** x (N, inChannels, X, Y, Z) → logits (N, outChannels, X', Y', Z'), each axis ⌊X/2^numLayers⌋ − 2. */
  forward(x: Tensor): Tensor {
    assert(x.ndim === 5 && x.shape[1] === this.inChannels,
      () => `NLayerDiscriminator.forward: x must be (N, ${this.inChannels}, X, Y, Z), got shape ${fmtShape(x.shape)}`);
    return this.#main.forward(x);
  }
}

/** Stage 1's discriminator: judges images, one real/fake logit map (the reference's `disc_in_channels` 1, `num_classes` 1). */
export function imageDiscriminator(config: AutoencoderConfig): NLayerDiscriminator {
  return new NLayerDiscriminator({ inChannels: config.inChannels, outChannels: 1, ndf: config.discNdf, numLayers: config.discLayers });
}

/**
 * Stage 2's discriminator: judges latents and classifies them, one logit map per contrast plus one for "fake"
 * (the reference's `num_classes: 5`, whose fifth map its loss never targets: see `discriminatorClassLoss`).
 */
export function latentDiscriminator(config: AutoencoderConfig): NLayerDiscriminator {
  const { zChannels, numClasses, discNdf, discLayers } = config;
  return new NLayerDiscriminator({ inChannels: zChannels, outChannels: numClasses + 1, ndf: discNdf, numLayers: discLayers });
}
