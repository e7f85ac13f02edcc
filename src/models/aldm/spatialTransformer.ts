/**
 * The paper's conditioning (ALDM Eq. 3, `conditioning: 'crossattn'`): latent diffusion's `SpatialTransformer`, whose
 * cross-attention takes the target contrast as a one-hot context token, in place of the code's class embedding. The
 * module tree and key names are latent diffusion's (`norm`, `proj_in`, `transformer_blocks.0.{attn1,attn2,ff,norm1-3}`,
 * `proj_out`), so weights trained there would load. Not in the oracle fixture (the reference code trains with class
 * embeddings); its tests are closed forms.
 */
import { F, type Tensor, tidy } from '../../tensor/index.js';
import { Conv, Dropout, GroupNorm, LayerNorm, Linear, Module, ModuleList, Sequential } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { zeroInit } from '../diffusionBlocks/index.js';

/** Latent diffusion normalises the transformer's input with 32 groups and this ε (its `Normalize`). */
const NORM_GROUPS = 32;
const NORM_EPS = 1e-6;
/** GEGLU's hidden width as a multiple of the channels (latent diffusion's `mult=4`). */
const FEED_FORWARD_MULT = 4;

/** Multi-head attention of `x` (N, L, C) over `context` (N, M, contextDim), or over x itself without one. */
export class CrossAttention extends Module {
  readonly #toQ: Linear;
  readonly #toK: Linear;
  readonly #toV: Linear;
  readonly #toOut: Sequential;

  constructor(readonly channels: number, readonly contextDim: number, readonly heads: number, readonly headChannels: number, dropout = 0) {
    super();
    const inner = heads * headChannels;
    this.#toQ = this.registerModule('to_q', new Linear(channels, inner, { bias: false }));
    this.#toK = this.registerModule('to_k', new Linear(contextDim, inner, { bias: false }));
    this.#toV = this.registerModule('to_v', new Linear(contextDim, inner, { bias: false }));
    this.#toOut = this.registerModule('to_out', new Sequential(new Linear(inner, channels), new Dropout(dropout)));
  }

  forward(x: Tensor, context?: Tensor): Tensor {
    return tidy('CrossAttention.forward', () => {
      const source = context ?? x;
      const [n, length] = x.shape;
      const { heads, headChannels } = this;
      // (N, L, H·D) → (N·H, L, D): heads become batch entries, as latent diffusion's rearrange does.
      const split = (t: Tensor) => t.reshape([n, t.shape[1], heads, headChannels]).permute([0, 2, 1, 3]).reshape([n * heads, t.shape[1], headChannels]);
      const q = split(this.#toQ.forward(x));
      const k = split(this.#toK.forward(source));
      const v = split(this.#toV.forward(source));
      // Blockwise, so the self-attention (attn1, over every voxel) never holds its tokens² scores whole.
      const out = F.attention(q, k, v, { scale: headChannels ** -0.5 }).reshape([n, heads, length, headChannels]).permute([0, 2, 1, 3]).reshape([n, length, heads * headChannels]);
      return this.#toOut.forward(out);
    });
  }
}

/** GEGLU: a linear map to twice the hidden width, one half gating the other through GELU. */
class Geglu extends Module {
  readonly #proj: Linear;

  constructor(channels: number, hidden: number) {
    super();
    this.#proj = this.registerModule('proj', new Linear(channels, 2 * hidden));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [value, gate] = this.#proj.forward(x).chunk(2, -1);
      return value.mul(F.gelu(gate));
    });
  }
}

/** Latent diffusion's `FeedForward` (key `net`): GEGLU to 4× the width, dropout, and back. */
class FeedForward extends Module {
  readonly #net: Sequential;

  constructor(channels: number, dropout: number) {
    super();
    const hidden = FEED_FORWARD_MULT * channels;
    this.#net = this.registerModule('net', new Sequential(new Geglu(channels, hidden), new Dropout(dropout), new Linear(hidden, channels)));
  }

  forward(x: Tensor): Tensor {
    return this.#net.forward(x);
  }
}

/** Self-attention, cross-attention to the context, and a GEGLU feed-forward, each pre-normalised and residual. */
class BasicTransformerBlock extends Module {
  readonly #attn1: CrossAttention;
  readonly #ff: FeedForward;
  readonly #attn2: CrossAttention;
  readonly #norms: LayerNorm[];

  constructor(channels: number, heads: number, headChannels: number, contextDim: number, dropout: number) {
    super();
    this.#attn1 = this.registerModule('attn1', new CrossAttention(channels, channels, heads, headChannels, dropout));
    this.#ff = this.registerModule('ff', new FeedForward(channels, dropout));
    this.#attn2 = this.registerModule('attn2', new CrossAttention(channels, contextDim, heads, headChannels, dropout));
    this.#norms = [1, 2, 3].map((i) => this.registerModule(`norm${i}`, new LayerNorm(channels)));
  }

  forward(x: Tensor, context: Tensor): Tensor {
    return tidy(() => {
      const [norm1, norm2, norm3] = this.#norms;
      const afterSelf = this.#attn1.forward(norm1.forward(x)).add(x);
      const afterCross = this.#attn2.forward(norm2.forward(afterSelf), context).add(afterSelf);
      return this.#ff.forward(norm3.forward(afterCross)).add(afterCross);
    });
  }
}

export interface SpatialTransformerOptions {
  channels: number;
  heads: number;
  headChannels: number;
  /** Width of a context token (one-hot of the target contrast: the number of contrasts). */
  contextDim: number;
  dropout?: number;
}

/**
 * (N, C, D, H, W) and a context (N, M, contextDim) → (N, C, D, H, W): every voxel a token, one transformer block, and
 * a zero-initialised projection back, added to the input, so an untrained block passes its input through unchanged.
 */
export class SpatialTransformer extends Module {
  readonly #norm: GroupNorm;
  readonly #projIn: Conv;
  readonly #blocks: ModuleList<BasicTransformerBlock>;
  readonly #projOut: Conv;

  constructor(readonly options: SpatialTransformerOptions) {
    super();
    const { channels, heads, headChannels, contextDim, dropout = 0 } = options;
    const inner = heads * headChannels;
    const pointwise = (cin: number, cout: number) => new Conv({ spatialDims: 3, inChannels: cin, outChannels: cout, kernelSize: 1 });
    this.#norm = this.registerModule('norm', new GroupNorm(NORM_GROUPS, channels, { eps: NORM_EPS }));
    this.#projIn = this.registerModule('proj_in', pointwise(channels, inner));
    this.#blocks = this.registerModule('transformer_blocks', new ModuleList([new BasicTransformerBlock(inner, heads, headChannels, contextDim, dropout)]));
    this.#projOut = this.registerModule('proj_out', zeroInit(pointwise(inner, channels)));
  }

  /** `_emb`: the time embedding an EmbedSequential passes every layer, which attention does not use. */
  forward(x: Tensor, _emb?: Tensor, context?: Tensor): Tensor {
    const where = 'SpatialTransformer.forward';
    assert(context !== undefined && context.ndim === 3 && context.shape[0] === x.shape[0] && context.shape[2] === this.options.contextDim,
      () => `${where}: needs a context (N, tokens, ${this.options.contextDim}) for the ${x.shape[0]} sample(s), got ${context === undefined ? 'none' : `shape ${fmtShape(context.shape)}`}`);
    return tidy(where, () => {
      const [n, , ...spatial] = x.shape;
      const tokens = spatial.reduce((a, b) => a * b, 1);
      const projected = this.#projIn.forward(this.#norm.forward(x));
      const inner = projected.shape[1];
      let h = projected.reshape([n, inner, tokens]).transpose(1, 2);
      for (const block of this.#blocks) h = block.forward(h, context);
      const back = h.transpose(1, 2).reshape([n, inner, ...spatial]);
      return this.#projOut.forward(back).add(x);
    });
  }
}
