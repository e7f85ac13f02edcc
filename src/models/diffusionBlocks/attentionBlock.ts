/**
 * `AttentionBlock`: guided-diffusion's self-attention over all voxels of a feature map, as the ALDM reference
 * builds it (`openaimodel.AttentionBlock` with `QKVAttentionLegacy`, ALDM spec §3). Keys: `norm` (GroupNorm),
 * `qkv` (a kernel-1 Conv1d C → 3C) and `proj_out` (a zero-initialised kernel-1 Conv1d C → C), so untrained the
 * block is the identity.
 */
import { F, Tensor, tidy } from '../../tensor/index.js';
import { Conv, Module } from '../../nn/index.js';
import { assert, fmtShape, product } from '../../util/index.js';
import { GroupNorm32 } from './groupNorm32.js';
import { zeroInit } from './zeroInit.js';

export interface AttentionBlockOptions {
  channels: number;
  /** Channels per head; the block has channels / numHeadChannels heads. */
  numHeadChannels: number;
  /** GroupNorm groups (the reference's `normalization()` uses 32). */
  numGroups: number;
}

export class AttentionBlock extends Module {
  readonly channels: number;
  readonly numHeads: number;
  readonly #norm: GroupNorm32;
  readonly #qkv: Conv;
  readonly #projOut: Conv;

  /** Builds norm, qkv, proj_out in the reference's order (then zeroes proj_out), so the draws match it. */
  constructor(options: AttentionBlockOptions) {
    super();
    const { channels, numHeadChannels, numGroups } = options;
    assert(Number.isInteger(numHeadChannels) && numHeadChannels > 0 && channels % numHeadChannels === 0,
      () => `AttentionBlock: channels (${channels}) must divide by numHeadChannels (${numHeadChannels})`);
    this.channels = channels;
    this.numHeads = channels / numHeadChannels;
    this.#norm = this.registerModule('norm', new GroupNorm32(numGroups, channels));
    this.#qkv = this.registerModule('qkv', new Conv({ spatialDims: 1, inChannels: channels, outChannels: 3 * channels, kernelSize: 1 }));
    this.#projOut = this.registerModule('proj_out',
      zeroInit(new Conv({ spatialDims: 1, inChannels: channels, outChannels: channels, kernelSize: 1 })));
  }

  /** x (N, channels, …spatial) → x + attention(x), same shape; every voxel attends to every voxel of its sample. */
  forward(x: Tensor): Tensor {
    assert(x.ndim >= 3 && x.shape[1] === this.channels,
      () => `AttentionBlock.forward: x must be (N, ${this.channels}, …spatial), got shape ${fmtShape(x.shape)}`);
    return tidy('AttentionBlock.forward', () => {
      const [batch, channels] = x.shape;
      const tokens = product(x.shape.slice(2));
      const headChannels = channels / this.numHeads;
      const flat = x.reshape([batch, channels, tokens]);
      const qkv = this.#qkv.forward(this.#norm.forward(flat));
      // The legacy split: heads first, then q | k | v within each head's 3·hc channels. (The "new order" split,
      // q | k | v first, gives a different network for the same weights.)
      const [q, k, v] = qkv.reshape([batch * this.numHeads, 3 * headChannels, tokens]).split(headChannels, 1);
      // q and k are each scaled by hc^(−1/4) rather than the product by hc^(−1/2): the reference's choice (kinder
      // to float16), kept so the rounding is the reference's too.
      const scale = 1 / Math.sqrt(Math.sqrt(headChannels));
      // Softmax in float32 whatever the network runs in, as the reference does. F.attention works a block of
      // query rows at a time and recomputes them in backward, so the tokens² scores (0.24 GB per head at 7,776
      // tokens) are never all held — the reference gets the same effect by recomputing the whole block.
      const tokensFirst = (t: Tensor) => t.transpose(1, 2);
      const attended = F.attention(tokensFirst(q.mul(scale)), tokensFirst(k.mul(scale)), tokensFirst(v), { scale: 1 })
        .transpose(1, 2).reshape([batch, channels, tokens]);
      return flat.add(this.#projOut.forward(attended)).reshape(x.shape);
    });
  }
}
