/**
 * ALDM's autoencoder (spec §2.1): the reference's taming `Encoder` and `Decoder` (taming/modules/diffusionmodules/
 * model.py) as ALDM configures them — 3-D, no attention, no time embedding, no mid attention or second mid block,
 * a single latent (no double_z), no output activation. The module trees mirror the reference's, so their state
 * dicts carry its keys (`down.0.block.0.norm1.weight`, `up.1.upsample.conv.bias`, `mid.block_1.conv2.weight`) and
 * a published checkpoint's `encoder.*` / `decoder.*` load strictly.
 */
import { F, Tensor, tidy } from '../../tensor/index.js';
import { Conv, GroupNorm, Module, ModuleList } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { type AutoencoderConfig, autoencoderSpatialMultiple } from './autoencoderConfig.js';
import { chain } from './chain.js';

/** taming's `Normalize`: eps 1e-6, not PyTorch's default 1e-5. */
const NORM_EPS = 1e-6;

/** x·σ(x), written as the reference writes it: F.silu rounds differently in the last bit. */
function swish(x: Tensor): Tensor {
  return tidy(() => x.mul(x.sigmoid()));
}

function conv3(inChannels: number, outChannels: number): Conv {
  return new Conv({ spatialDims: 3, inChannels, outChannels, kernelSize: 3, padding: 1 });
}

/** taming's `ResnetBlock` without time embedding (`temb_channels=0`, so no `temb_proj`) and with dropout 0. */
export class AeResnetBlock extends Module {
  readonly #norm1: GroupNorm;
  readonly #conv1: Conv;
  readonly #norm2: GroupNorm;
  readonly #conv2: Conv;
  readonly #shortcut: Conv | null;

  /** Built in the reference's order (norm1, conv1, norm2, conv2, nin_shortcut), so a seed draws the same weights. */
  constructor(readonly inChannels: number, readonly outChannels: number, numGroups: number) {
    super();
    this.#norm1 = this.registerModule('norm1', new GroupNorm(numGroups, inChannels, { eps: NORM_EPS }));
    this.#conv1 = this.registerModule('conv1', conv3(inChannels, outChannels));
    this.#norm2 = this.registerModule('norm2', new GroupNorm(numGroups, outChannels, { eps: NORM_EPS }));
    this.#conv2 = this.registerModule('conv2', conv3(outChannels, outChannels));
    this.#shortcut = inChannels === outChannels
      ? null
      : this.registerModule('nin_shortcut', new Conv({ spatialDims: 3, inChannels, outChannels, kernelSize: 1 }));
  }

  forward(x: Tensor): Tensor {
    return tidy('AeResnetBlock.forward', () => {
      const h = chain(x, this.#norm1, swish, this.#conv1, this.#norm2, swish, this.#conv2);
      return chain(h, (t) => (this.#shortcut?.forward(x) ?? x).add(t));
    });
  }
}

/**
 * taming's `Downsample` with a convolution: zero-pad one voxel on the high side of each axis, then a 3×3×3 conv
 * of stride 2 without padding, so the grid halves exactly for even sizes (key `conv`).
 */
export class AeDownsample extends Module {
  readonly #conv: Conv;

  constructor(channels: number) {
    super();
    this.#conv = this.registerModule('conv', new Conv({ spatialDims: 3, inChannels: channels, outChannels: channels, kernelSize: 3, stride: 2 }));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => chain(x, (t) => F.pad(t, [0, 1, 0, 1, 0, 1]), this.#conv));
  }
}

/** taming's `Upsample` with a convolution: nearest ×2 on each axis, then a 3×3×3 conv (key `conv`). */
export class AeUpsample extends Module {
  readonly #conv: Conv;

  constructor(channels: number) {
    super();
    this.#conv = this.registerModule('conv', conv3(channels, channels));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => chain(x, (t) => F.interpolate(t, { scaleFactor: 2, mode: 'nearest' }), this.#conv));
  }
}

/** One resolution of the encoder (`down.l`) or decoder (`up.l`): its ResBlocks, then an optional resampling. */
class AeLevel extends Module {
  readonly #blocks: ModuleList<AeResnetBlock>;
  readonly #resample: AeDownsample | AeUpsample | null;

  /** `attn` is an empty ModuleList in the reference (no attention resolutions): it has no keys, so it is left out. */
  constructor(blocks: AeResnetBlock[], resample?: { name: 'downsample' | 'upsample'; module: AeDownsample | AeUpsample }) {
    super();
    this.#blocks = this.registerModule('block', new ModuleList(blocks));
    this.#resample = resample === undefined ? null : this.registerModule(resample.name, resample.module);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => chain(x, ...this.#blocks, ...(this.#resample ? [this.#resample] : [])));
  }
}

/** The reference's `mid`: one ResBlock (`block_1`); its `attn_1` and `block_2` are removed in ALDM. */
class AeMid extends Module {
  readonly #block: AeResnetBlock;

  constructor(channels: number, numGroups: number) {
    super();
    this.#block = this.registerModule('block_1', new AeResnetBlock(channels, channels, numGroups));
  }

  forward(x: Tensor): Tensor {
    return this.#block.forward(x);
  }
}

/** Image (N, inChannels, X, Y, Z) → latent (N, zChannels, X/f, Y/f, Z/f), f = 2^(levels−1). */
export class Encoder extends Module {
  /** Every spatial axis of the input must divide by this. */
  readonly spatialMultiple: number;
  readonly #convIn: Conv;
  readonly #down: ModuleList<AeLevel>;
  readonly #mid: AeMid;
  readonly #normOut: GroupNorm;
  readonly #convOut: Conv;

  constructor(readonly config: AutoencoderConfig) {
    super();
    const { inChannels, ch, chMult, numResBlocks, numGroups, zChannels } = config;
    this.spatialMultiple = autoencoderSpatialMultiple(config);
    this.#convIn = this.registerModule('conv_in', conv3(inChannels, ch));
    this.#down = this.registerModule('down', new ModuleList<AeLevel>());
    let channels = ch;
    chMult.forEach((mult, level) => {
      const blocks: AeResnetBlock[] = [];
      for (let i = 0; i < numResBlocks; i++) {
        blocks.push(new AeResnetBlock(channels, ch * mult, numGroups));
        channels = ch * mult;
      }
      this.#down.append(level === chMult.length - 1
        ? new AeLevel(blocks)
        : new AeLevel(blocks, { name: 'downsample', module: new AeDownsample(channels) }));
    });
    this.#mid = this.registerModule('mid', new AeMid(channels, numGroups));
    this.#normOut = this.registerModule('norm_out', new GroupNorm(numGroups, channels, { eps: NORM_EPS }));
    this.#convOut = this.registerModule('conv_out', conv3(channels, zChannels));
  }

  forward(x: Tensor): Tensor {
    const { inChannels } = this.config;
    assert(x.ndim === 5 && x.shape[1] === inChannels,
      () => `Encoder.forward: x must be (N, ${inChannels}, X, Y, Z), got shape ${fmtShape(x.shape)}`);
    const spatial = x.shape.slice(2);
    assert(spatial.every((s) => s % this.spatialMultiple === 0),
      () => `Encoder.forward: every spatial axis of x must divide by ${this.spatialMultiple} (${this.config.chMult.length - 1} halvings; `
        + `other sizes do not decode back to the same grid), got ${spatial.join('×')}`);
    return tidy('Encoder.forward', () => chain(x, this.#convIn, ...this.#down, this.#mid, this.#normOut, swish, this.#convOut));
  }
}

/** Latent (N, zChannels, X, Y, Z) → image (N, outChannels, X·f, Y·f, Z·f); no output activation (no tanh). */
export class Decoder extends Module {
  readonly #convIn: Conv;
  readonly #mid: AeMid;
  readonly #up: ModuleList<AeLevel>;
  readonly #normOut: GroupNorm;
  readonly #convOut: Conv;

  /**
   * The reference builds the levels from the coarsest down and inserts each at the front of `up`, so `up.l` is
   * level l while the draws run `up.2`, `up.1`, `up.0`; this does the same.
   */
  constructor(readonly config: AutoencoderConfig) {
    super();
    const { outChannels, ch, chMult, numResBlocks, numGroups, zChannels } = config;
    let channels = ch * chMult[chMult.length - 1];
    this.#convIn = this.registerModule('conv_in', conv3(zChannels, channels));
    this.#mid = this.registerModule('mid', new AeMid(channels, numGroups));
    const levels: AeLevel[] = [];
    for (let level = chMult.length - 1; level >= 0; level--) {
      const blocks: AeResnetBlock[] = [];
      for (let i = 0; i <= numResBlocks; i++) {
        blocks.push(new AeResnetBlock(channels, ch * chMult[level], numGroups));
        channels = ch * chMult[level];
      }
      levels.unshift(level === 0 ? new AeLevel(blocks) : new AeLevel(blocks, { name: 'upsample', module: new AeUpsample(channels) }));
    }
    this.#up = this.registerModule('up', new ModuleList(levels));
    this.#normOut = this.registerModule('norm_out', new GroupNorm(numGroups, channels, { eps: NORM_EPS }));
    this.#convOut = this.registerModule('conv_out', conv3(channels, outChannels));
  }

  /** The last layer's weight: the reference measures the adaptive GAN weight's gradients there. */
  get lastLayerWeight(): Tensor {
    return this.#convOut.weight;
  }

  forward(z: Tensor): Tensor {
    const { zChannels } = this.config;
    assert(z.ndim === 5 && z.shape[1] === zChannels, () => `Decoder.forward: z must be (N, ${zChannels}, X, Y, Z), got shape ${fmtShape(z.shape)}`);
    // From the coarsest level up: `up.l` is level l, so the list runs backwards.
    const levels = [...this.#up].reverse();
    return tidy('Decoder.forward', () => chain(z, this.#convIn, this.#mid, ...levels, this.#normOut, swish, this.#convOut));
  }
}
