/**
 * `CwdmUNet`: the cWDM denoiser, the reference's `UNetModel` (guided-diffusion's 3-D U-Net) as run.sh
 * configures it (spec §4): concatenation skips, ResBlock down/up sampling, no attention, a sinusoidal time
 * embedding, zero-initialised output convolutions and PyTorch-default initialisation elsewhere. The module
 * tree mirrors the reference's, so its state dict has the reference's keys (spec §4.3) and the released
 * weights load with strict checks.
 *
 * Input: the noisy target's 8 wavelet bands followed by 8 bands per condition contrast. Output: x̂₀, the
 * predicted clean target bands, in the LLL/3 convention (spec §4.4).
 */
import { type DType, Tensor, tidy } from '../../tensor/index.js';
import { Conv, Linear, Module, ModuleList, Sequential, SiLU } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { type CwdmUNetConfig, WAVELET_BANDS, cwdmInChannels, cwdmSpatialMultiple } from './cwdmUNetConfig.js';
import { EmbedSequential, GroupNorm32, ResBlock, timestepEmbedding, unetPass, zeroInit } from '../diffusionBlocks/index.js';

/** The time embedding is this many times `modelChannels` wide, as in guided-diffusion. */
const TIME_EMBED_MULT = 4;

export class CwdmUNet extends Module {
  readonly inChannels: number;
  readonly outChannels = WAVELET_BANDS;
  /** Every spatial axis of the input must divide by this. */
  readonly spatialMultiple: number;
  readonly #timeEmbed: Sequential;
  /** The time embedding's first layer, whose weight tells the dtype the network runs in (see `Module.to`). */
  readonly #embedIn: Linear;
  readonly #inputBlocks: ModuleList<EmbedSequential>;
  readonly #middleBlock: EmbedSequential;
  readonly #outputBlocks: ModuleList<EmbedSequential>;
  readonly #out: Sequential;

  /**
   * Builds the layers in the reference's order (time embedding, input blocks, middle, output blocks, head),
   * so that with the same seed the default initialisation draws the same numbers for the same tensors.
   */
  constructor(readonly config: CwdmUNetConfig) {
    super();
    const { modelChannels, channelMult, numResBlocks, numGroups, dropout } = config;
    this.inChannels = cwdmInChannels(config);
    this.spatialMultiple = cwdmSpatialMultiple(config);
    const embChannels = modelChannels * TIME_EMBED_MULT;
    const resBlock = (inChannels: number, outChannels: number, resample?: 'down' | 'up') =>
      new ResBlock({ inChannels, outChannels, embChannels, numGroups, dropout, resample });

    this.#embedIn = new Linear(modelChannels, embChannels);
    this.#timeEmbed = this.registerModule('time_embed', new Sequential(this.#embedIn, new SiLU(), new Linear(embChannels, embChannels)));

    // Way down: every block's output is a skip, so record each one's width for the way up.
    let ch = modelChannels * channelMult[0];
    const skipChannels = [ch];
    this.#inputBlocks = this.registerModule('input_blocks', new ModuleList([
      new EmbedSequential(new Conv({ spatialDims: 3, inChannels: this.inChannels, outChannels: ch, kernelSize: 3, padding: 1 })),
    ]));
    channelMult.forEach((mult, level) => {
      for (let i = 0; i < numResBlocks; i++) {
        this.#inputBlocks.append(new EmbedSequential(resBlock(ch, modelChannels * mult)));
        ch = modelChannels * mult;
        skipChannels.push(ch);
      }
      if (level !== channelMult.length - 1) {
        this.#inputBlocks.append(new EmbedSequential(resBlock(ch, ch, 'down')));
        skipChannels.push(ch);
      }
    });

    this.#middleBlock = this.registerModule('middle_block', new EmbedSequential(resBlock(ch, ch), resBlock(ch, ch)));

    // Way up: one block per skip, widest level first; each level but the first ends by upsampling.
    this.#outputBlocks = this.registerModule('output_blocks', new ModuleList<EmbedSequential>());
    for (let level = channelMult.length - 1; level >= 0; level--) {
      for (let i = 0; i <= numResBlocks; i++) {
        const skip = skipChannels.pop()!;
        const block = resBlock(ch + skip, modelChannels * channelMult[level]);
        ch = block.outChannels;
        this.#outputBlocks.append(level > 0 && i === numResBlocks
          ? new EmbedSequential(block, resBlock(ch, ch, 'up'))
          : new EmbedSequential(block));
      }
    }

    this.#out = this.registerModule('out', new Sequential(new GroupNorm32(numGroups, ch), new SiLU(),
      zeroInit(new Conv({ spatialDims: 3, inChannels: ch, outChannels: this.outChannels, kernelSize: 3, padding: 1 }))));
  }

  /** The dtype the network runs in: its weights' (see `Module.to`); inputs must have it. */
  get dtype(): DType {
    return this.#embedIn.weight.dtype;
  }

  /**
   * x (N, inChannels, D, H, W): the noisy target bands then the condition bands, concatenated on channels;
   * t (N,): the original timestep indices (0…T−1, integer or float), not rescaled. Returns x̂₀ (N, 8, D, H, W).
   */
  forward(x: Tensor, t: Tensor): Tensor {
    const { conditions } = this.config;
    assert(x.ndim === 5, () => `CwdmUNet.forward: x must be rank 5 (N, C, D, H, W), got shape ${fmtShape(x.shape)}`);
    const { dtype } = this;
    assert(x.dtype === dtype, () => `CwdmUNet.forward: x must be ${dtype} like the weights, got ${x.dtype}`);
    const channels = x.shape[1];
    assert(channels === this.inChannels, () => {
      const given = (channels - WAVELET_BANDS) / WAVELET_BANDS;
      const reading = Number.isInteger(given) && given >= 0 ? `, i.e. ${given} condition contrast${given === 1 ? '' : 's'}` : '';
      return `CwdmUNet.forward: x must have ${this.inChannels} channels (${WAVELET_BANDS} noisy target bands + ${conditions} `
        + `condition contrasts × ${WAVELET_BANDS} bands), got ${channels}${reading} (shape ${fmtShape(x.shape)})`;
    });
    const spatial = x.shape.slice(2);
    assert(spatial.every((s) => s % this.spatialMultiple === 0),
      () => `CwdmUNet.forward: every spatial axis of x must divide by ${this.spatialMultiple} (${this.config.channelMult.length - 1} `
        + `halvings), got ${spatial.join('×')} (shape ${fmtShape(x.shape)})`);
    assert(t.ndim === 1 && t.shape[0] === x.shape[0],
      () => `CwdmUNet.forward: t must hold one timestep per sample, shape [${x.shape[0]}], got shape ${fmtShape(t.shape)}`);

    return tidy('CwdmUNet.forward', () => {
      // The sinusoids are computed in float32 whatever the network runs in, as the reference does under fp16.
      const emb = this.#timeEmbed.forward(timestepEmbedding(t, this.config.modelChannels).to(dtype));
      const h = unetPass(x, emb, this.#inputBlocks, this.#middleBlock, this.#outputBlocks);
      return this.#out.forward(h);
    });
  }
}

/** Parameters per part of the network, as `mrsynth models info` reports them. */
export interface CwdmParameterCounts {
  inputBlocks: number;
  middle: number;
  outputBlocks: number;
  timeEmbedding: number;
  head: number;
  total: number;
}

const PART_OF_KEY = {
  input_blocks: 'inputBlocks', middle_block: 'middle', output_blocks: 'outputBlocks', time_embed: 'timeEmbedding', out: 'head',
} as const satisfies Record<string, keyof CwdmParameterCounts>;

export function parameterCounts(model: CwdmUNet): CwdmParameterCounts {
  const counts: CwdmParameterCounts = { inputBlocks: 0, middle: 0, outputBlocks: 0, timeEmbedding: 0, head: 0, total: 0 };
  for (const [key, parameter] of model.namedParameters()) {
    const top = key.slice(0, key.indexOf('.'));
    assert(Object.hasOwn(PART_OF_KEY, top), () => `parameterCounts: parameter '${key}' belongs to no known part of the network`);
    counts[PART_OF_KEY[top as keyof typeof PART_OF_KEY]] += parameter.numel;
    counts.total += parameter.numel;
  }
  return counts;
}
