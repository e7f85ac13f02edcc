/**
 * MS-SPADE (spec §2.3): the reference's `SPADEGenerator` (taming/models/normalization.py), which maps a quantised
 * source latent to the latent of a chosen target contrast. Four residual blocks whose convolutions are shared by
 * all contrasts; each normalisation slot holds one self-modulated SPADE layer per contrast, and sample i goes
 * through contrast y[i]'s. Keys as the reference's: `block.{0..3}.{conv_0, conv_1, conv_s,
 * norm_0.spades.{k}.{mlp_shared.0, mlp_gamma, mlp_beta}, norm_1.spades.{k}.…}`.
 */
import { F, Tensor, tensor, tidy } from '../../tensor/index.js';
import { Conv, Module, ModuleList, ReLU, Sequential } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { chain } from './chain.js';

/** PyTorch's InstanceNorm3d default, which the reference keeps. */
const INSTANCE_NORM_EPS = 1e-5;
/** The residual branch's activation, F.leaky_relu(x, 2e-1) in the reference. */
const LEAKY_SLOPE = 0.2;

function conv3(inChannels: number, outChannels: number): Conv {
  return new Conv({ spatialDims: 3, inChannels, outChannels, kernelSize: 3, padding: 1 });
}

/**
 * The reference's `SPADE` as ALDM uses it: instance-normalise x (no affine, input statistics), then modulate
 * it with γ and β computed from x itself (no external label map): IN(x)·(1 + γ) + β. Its nearest resize of x
 * to x's own size is the identity and is left out.
 */
export class SpadeLayer extends Module {
  readonly #shared: Sequential;
  readonly #gamma: Conv;
  readonly #beta: Conv;

  constructor(readonly channels: number, hidden: number) {
    super();
    this.#shared = this.registerModule('mlp_shared', new Sequential(conv3(channels, hidden), new ReLU()));
    this.#gamma = this.registerModule('mlp_gamma', conv3(hidden, channels));
    this.#beta = this.registerModule('mlp_beta', conv3(hidden, channels));
  }

  forward(x: Tensor): Tensor {
    return tidy('SpadeLayer.forward', () => {
      const actv = this.#shared.forward(x);
      const scale = chain(actv, this.#gamma, (t) => t.add(1));
      const shift = this.#beta.forward(actv);
      actv.dispose();
      return chain(x, (t) => F.instanceNorm(t, null, null, INSTANCE_NORM_EPS), (t) => t.mul(scale), (t) => t.add(shift));
    });
  }
}

/**
 * The reference's `SPADE_Multimodal` (key `spades`): one SPADE layer per contrast. The reference runs the samples
 * one at a time; here the samples of one contrast run as one batch, which is the same map because instance
 * normalisation and convolution treat samples independently (libtorch's convolutions round a batch of several
 * differently from one sample, by ≈ 1e-6; with distinct classes per sample the results are the reference's bits).
 */
export class SpadeMultimodal extends Module {
  readonly #spades: ModuleList<SpadeLayer>;

  constructor(numClasses: number, channels: number, hidden: number) {
    super();
    this.#spades = this.registerModule('spades', new ModuleList(Array.from({ length: numClasses }, () => new SpadeLayer(channels, hidden))));
  }

  /** `classes[i]` is sample i's contrast, already checked to be in range (see `SpadeGenerator.forward`). */
  forward(x: Tensor, classes: readonly number[]): Tensor {
    return tidy('SpadeMultimodal.forward', () => {
      const distinct = [...new Set(classes)];
      if (distinct.length === 1) return this.#spades.at(distinct[0]).forward(x);
      const rows: Tensor[] = new Array(classes.length);
      for (const k of distinct) {
        const members = classes.flatMap((c, i) => (c === k ? [i] : []));
        const out = this.#spades.at(k).forward(x.indexSelect(0, tensor(members, { dtype: 'int64' })));
        members.forEach((i, j) => { rows[i] = out.narrow(0, j, 1); });
      }
      return F.cat(rows, 0);
    });
  }
}

/** The reference's `SPADEResnetBlock`: shortcut + conv(leaky(SPADE(conv(leaky(SPADE(x)))))). */
export class SpadeResnetBlock extends Module {
  readonly #conv0: Conv;
  readonly #conv1: Conv;
  readonly #shortcut: Conv | null;
  readonly #norm0: SpadeMultimodal;
  readonly #norm1: SpadeMultimodal;

  /** Built in the reference's order: conv_0, conv_1, conv_s (a bias-free 1×1×1 conv, only when fin ≠ fout), norm_0, norm_1. */
  constructor(numClasses: number, readonly inChannels: number, readonly outChannels: number, hidden: number) {
    super();
    const middle = Math.min(inChannels, outChannels);
    this.#conv0 = this.registerModule('conv_0', conv3(inChannels, middle));
    this.#conv1 = this.registerModule('conv_1', conv3(middle, outChannels));
    this.#shortcut = inChannels === outChannels
      ? null
      : this.registerModule('conv_s', new Conv({ spatialDims: 3, inChannels, outChannels, kernelSize: 1, bias: false }));
    this.#norm0 = this.registerModule('norm_0', new SpadeMultimodal(numClasses, inChannels, hidden));
    this.#norm1 = this.registerModule('norm_1', new SpadeMultimodal(numClasses, middle, hidden));
  }

  forward(x: Tensor, classes: readonly number[]): Tensor {
    return tidy('SpadeResnetBlock.forward', () => {
      const leaky = (t: Tensor) => F.leakyRelu(t, LEAKY_SLOPE);
      const dx = chain(x, (t) => this.#norm0.forward(t, classes), leaky, this.#conv0, (t) => this.#norm1.forward(t, classes), leaky, this.#conv1);
      return chain(dx, (t) => (this.#shortcut?.forward(x) ?? x).add(t));
    });
  }
}

export interface SpadeGeneratorOptions {
  numClasses: number;
  /** Latent channels in and out (`z_dim`). */
  zChannels: number;
  /** Block widths z → nf → 2nf → nf → z. */
  nf: number;
  /** Hidden width of each SPADE layer's γ/β generator (64 in the reference). */
  hidden: number;
}

/** The reference's `SPADEGenerator` (key `block`): latent (N, z, X, Y, Z) and target contrasts → latent (N, z, X, Y, Z). */
export class SpadeGenerator extends Module {
  readonly numClasses: number;
  readonly zChannels: number;
  readonly #blocks: ModuleList<SpadeResnetBlock>;

  constructor(options: SpadeGeneratorOptions) {
    super();
    const { numClasses, zChannels, nf, hidden } = options;
    this.numClasses = numClasses;
    this.zChannels = zChannels;
    this.#blocks = this.registerModule('block', new ModuleList([[zChannels, nf], [nf, 2 * nf], [2 * nf, nf], [nf, zChannels]]
      .map(([fin, fout]) => new SpadeResnetBlock(numClasses, fin, fout, hidden))));
  }

  /** y: one target contrast per sample, integers in [0, numClasses) (a tensor of any integer dtype, or numbers). */
  forward(x: Tensor, y: Tensor | readonly number[]): Tensor {
    const where = 'SpadeGenerator.forward';
    assert(x.ndim === 5 && x.shape[1] === this.zChannels,
      () => `${where}: x must be (N, ${this.zChannels}, X, Y, Z), got shape ${fmtShape(x.shape)}`);
    const classes = y instanceof Tensor ? Array.from(y.toTypedArray(), Number) : [...y];
    assert(classes.length === x.shape[0] && (!(y instanceof Tensor) || y.ndim === 1), () => `${where}: y must hold one class per sample `
      + `(${x.shape[0]}), got ${y instanceof Tensor ? `shape ${fmtShape(y.shape)}` : `${classes.length} values`}`);
    const bad = classes.find((c) => !Number.isInteger(c) || c < 0 || c >= this.numClasses);
    assert(bad === undefined, () => `${where}: class ${bad} is not one of the ${this.numClasses} contrasts this SPADE was built for `
      + `(0…${this.numClasses - 1}); y = [${classes.join(', ')}]`);
    return tidy(where, () => chain(x, ...[...this.#blocks].map((block) => (t: Tensor) => block.forward(t, classes))));
  }
}
