/**
 * `AldmUNet`: ALDM's latent denoiser, the reference's `openaimodel.UNetModel` as brats-ldm-vq-4.yaml configures
 * it (spec §3): guided-diffusion's 3-D U-Net with concatenation skips, convolutional up/down sampling, legacy
 * QKV self-attention at the listed downsampling factors and in the middle, and the target contrast y as a class
 * embedding added to the time embedding. The module tree mirrors the reference's (`model.diffusion_model.*` of
 * an LDM checkpoint), so its state dict has the reference's keys and loads with strict checks.
 *
 * Input: the noisy target latent x_t stacked on channels with the condition latents ([z_src, z_st], or [z_st]
 * with `concat: 'paper'`). Output: ε̂, the predicted noise, one latent wide.
 */
import { type DType, F, Tensor, tidy } from '../../tensor/index.js';
import { Conv, Embedding, Linear, Module, ModuleList, Sequential, SiLU } from '../../nn/index.js';
import {
  AttentionBlock, Downsample, EmbedSequential, type EmbedLayer, GroupNorm32, ResBlock, Upsample, timestepEmbedding, unetPass, zeroInit,
} from '../diffusionBlocks/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { type AldmUNetConfig, UNET_NORM_GROUPS, aldmUNetSpatialMultiple } from './aldmUNetConfig.js';
import { SpatialTransformer } from './spatialTransformer.js';

/** The time embedding is this many times `modelChannels` wide, as in guided-diffusion. */
const TIME_EMBED_MULT = 4;

/** What each stacked latent of the input is, per `concat`. */
const INPUT_LATENTS = { code: 'x_t, z_src, z_st', paper: 'x_t, z_st' } as const;

export class AldmUNet extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Every spatial axis of the input must divide by this. */
  readonly spatialMultiple: number;
  readonly #timeEmbed: Sequential;
  /** The time embedding's first layer, whose weight tells the dtype the network runs in (see `Module.to`). */
  readonly #embedIn: Linear;
  /** The code's class embedding; absent with the paper's cross-attention, where y enters as a one-hot context token. */
  readonly #labelEmb: Embedding | undefined;
  readonly #inputBlocks: ModuleList<EmbedSequential>;
  readonly #middleBlock: EmbedSequential;
  readonly #outputBlocks: ModuleList<EmbedSequential>;
  readonly #out: Sequential;

  /**
   * Builds the layers in the reference's order (time embedding, label embedding, input blocks, middle, output
   * blocks, head; within a block ResBlock, attention, resampling), so that with the same seed the default
   * initialisation draws the same numbers for the same tensors.
   */
  constructor(readonly config: AldmUNetConfig) {
    super();
    const { inChannels, outChannels, modelChannels, channelMult, numResBlocks, attentionResolutions, numHeadChannels, numClasses, dropout } = config;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.spatialMultiple = aldmUNetSpatialMultiple(config);
    const numGroups = UNET_NORM_GROUPS;
    const embChannels = modelChannels * TIME_EMBED_MULT;
    const resBlock = (cin: number, cout: number) => new ResBlock({ inChannels: cin, outChannels: cout, embChannels, numGroups, dropout });
    // Latent diffusion's use_spatial_transformer: every attention layer becomes a transformer over the one-hot target.
    const attention = (channels: number) => (config.conditioning === 'crossattn'
      ? new SpatialTransformer({ channels, heads: channels / numHeadChannels, headChannels: numHeadChannels, contextDim: numClasses, dropout })
      : new AttentionBlock({ channels, numHeadChannels, numGroups }));

    this.#embedIn = new Linear(modelChannels, embChannels);
    this.#timeEmbed = this.registerModule('time_embed', new Sequential(this.#embedIn, new SiLU(), new Linear(embChannels, embChannels)));
    this.#labelEmb = config.conditioning === 'class' ? this.registerModule('label_emb', new Embedding(numClasses, embChannels)) : undefined;

    // Way down: every block's output is a skip, so record each one's width for the way up.
    let ch = modelChannels;
    let ds = 1;
    const skipChannels = [ch];
    this.#inputBlocks = this.registerModule('input_blocks', new ModuleList([
      new EmbedSequential(new Conv({ spatialDims: 3, inChannels, outChannels: ch, kernelSize: 3, padding: 1 })),
    ]));
    channelMult.forEach((mult, level) => {
      for (let i = 0; i < numResBlocks; i++) {
        const layers: EmbedLayer[] = [resBlock(ch, modelChannels * mult)];
        ch = modelChannels * mult;
        if (attentionResolutions.includes(ds)) layers.push(attention(ch));
        this.#inputBlocks.append(new EmbedSequential(...layers));
        skipChannels.push(ch);
      }
      if (level !== channelMult.length - 1) {
        this.#inputBlocks.append(new EmbedSequential(new Downsample(ch)));
        skipChannels.push(ch);
        ds *= 2;
      }
    });

    this.#middleBlock = this.registerModule('middle_block', new EmbedSequential(resBlock(ch, ch), attention(ch), resBlock(ch, ch)));

    // Way up: one block per skip, widest level first; each level but the first ends by upsampling.
    this.#outputBlocks = this.registerModule('output_blocks', new ModuleList<EmbedSequential>());
    for (let level = channelMult.length - 1; level >= 0; level--) {
      for (let i = 0; i <= numResBlocks; i++) {
        const skip = skipChannels.pop()!;
        const layers: EmbedLayer[] = [resBlock(ch + skip, modelChannels * channelMult[level])];
        ch = modelChannels * channelMult[level];
        if (attentionResolutions.includes(ds)) layers.push(attention(ch));
        if (level > 0 && i === numResBlocks) {
          layers.push(new Upsample(ch));
          ds /= 2;
        }
        this.#outputBlocks.append(new EmbedSequential(...layers));
      }
    }

    this.#out = this.registerModule('out', new Sequential(new GroupNorm32(numGroups, ch), new SiLU(),
      zeroInit(new Conv({ spatialDims: 3, inChannels: ch, outChannels, kernelSize: 3, padding: 1 }))));
  }

  /** The dtype the network runs in: its weights' (see `Module.to`); inputs must have it. */
  get dtype(): DType {
    return this.#embedIn.weight.dtype;
  }

  /**
   * The embedding every ResBlock receives: time_embed(sinusoids of t) + label_emb[y], (N, 4·modelChannels).
   * t (N,): the original timestep indices (0…T−1), not rescaled; y (N,) int64: the target contrast of each sample.
   */
  embed(t: Tensor, y: Tensor): Tensor {
    assert(t.ndim === 1, () => `AldmUNet.embed: t must hold one timestep per sample, rank 1, got shape ${fmtShape(t.shape)}`);
    this.#checkLabels('embed', y, t.shape[0]);
    return this.#embed(t, y);
  }

  #embed(t: Tensor, y: Tensor): Tensor {
    return tidy('AldmUNet.embed', () => {
      // The sinusoids are computed in float32 whatever the network runs in, as the reference does under fp16.
      const time = this.#timeEmbed.forward(timestepEmbedding(t, this.config.modelChannels).to(this.dtype));
      return this.#labelEmb === undefined ? time : time.add(this.#labelEmb.forward(y));
    });
  }

  /**
   * x (N, inChannels, D, H, W): x_t then the condition latents, concatenated on channels; t (N,): timestep
   * indices; y (N,) int64: target contrasts. Returns ε̂ (N, outChannels, D, H, W).
   */
  forward(x: Tensor, t: Tensor, y: Tensor): Tensor {
    const { concat } = this.config;
    assert(x.ndim === 5, () => `AldmUNet.forward: x must be rank 5 (N, C, D, H, W), got shape ${fmtShape(x.shape)}`);
    const { dtype } = this;
    assert(x.dtype === dtype, () => `AldmUNet.forward: x must be ${dtype} like the weights, got ${x.dtype}`);
    assert(x.shape[1] === this.inChannels,
      () => `AldmUNet.forward: x must have ${this.inChannels} channels (concat '${concat}': ${INPUT_LATENTS[concat]}, ${this.outChannels} each), `
        + `got ${x.shape[1]} (shape ${fmtShape(x.shape)})`);
    const spatial = x.shape.slice(2);
    assert(spatial.every((s) => s % this.spatialMultiple === 0),
      () => `AldmUNet.forward: every spatial axis of x must divide by ${this.spatialMultiple} (${this.config.channelMult.length - 1} `
        + `halvings), got ${spatial.join('×')} (shape ${fmtShape(x.shape)})`);
    assert(t.ndim === 1 && t.shape[0] === x.shape[0],
      () => `AldmUNet.forward: t must hold one timestep per sample, shape [${x.shape[0]}], got shape ${fmtShape(t.shape)}`);
    this.#checkLabels('forward', y, x.shape[0]);

    return tidy('AldmUNet.forward', () => {
      const emb = this.#embed(t, y);
      // The paper's Eq. 3: the target contrast as one context token, one-hot over the contrasts.
      const context = this.config.conditioning === 'crossattn' ? F.oneHot(y, this.config.numClasses).to(dtype).unsqueeze(1) : undefined;
      const h = unetPass(x, emb, this.#inputBlocks, this.#middleBlock, this.#outputBlocks, context);
      return this.#out.forward(h);
    });
  }

  /** y must name one class per sample, each in 0 … numClasses − 1 (an embedding row). */
  #checkLabels(fn: string, y: Tensor, batch: number): void {
    const { numClasses } = this.config;
    assert(y.ndim === 1 && y.shape[0] === batch && (y.dtype === 'int64' || y.dtype === 'int32'),
      () => `AldmUNet.${fn}: y must hold one integer class per sample, shape [${batch}], got ${y.dtype} shape ${fmtShape(y.shape)}`);
    const labels = [...y.toTypedArray<'int64'>()].map(Number);
    const bad = labels.find((label) => label < 0 || label >= numClasses);
    assert(bad === undefined, () => `AldmUNet.${fn}: y must be classes 0…${numClasses - 1}, got ${bad} (y = [${labels.join(',')}])`);
  }
}

/** Parameters per part of the network, as `mrsynth models info` reports them (the breakdown). */
export interface AldmUNetParameterCounts {
  inputBlocks: number;
  middle: number;
  outputBlocks: number;
  timeEmbedding: number;
  labelEmbedding: number;
  head: number;
  total: number;
}

const PART_OF_KEY = {
  input_blocks: 'inputBlocks', middle_block: 'middle', output_blocks: 'outputBlocks', time_embed: 'timeEmbedding', label_emb: 'labelEmbedding',
  out: 'head',
} as const satisfies Record<string, keyof AldmUNetParameterCounts>;

export function aldmUNetParameterCounts(model: AldmUNet): AldmUNetParameterCounts {
  const counts: AldmUNetParameterCounts = { inputBlocks: 0, middle: 0, outputBlocks: 0, timeEmbedding: 0, labelEmbedding: 0, head: 0, total: 0 };
  for (const [key, parameter] of model.namedParameters()) {
    const top = key.slice(0, key.indexOf('.'));
    assert(Object.hasOwn(PART_OF_KEY, top), () => `aldmUNetParameterCounts: parameter '${key}' belongs to no known part of the network`);
    counts[PART_OF_KEY[top as keyof typeof PART_OF_KEY]] += parameter.numel;
    counts.total += parameter.numel;
  }
  return counts;
}
