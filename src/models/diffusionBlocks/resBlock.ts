/**
 * `ResBlock`: guided-diffusion's residual block as the cWDM and ALDM references configure it (cWDM spec §4.2,
 * ALDM spec §3): no scale-shift norm, a zero-initialised second convolution, and (cWDM only) optional isotropic
 * 2× down (average pool) or up (nearest) resampling. Submodule names are the reference's, so the state-dict
 * keys are too: `in_layers.{0: GN, 2: conv}`, `emb_layers.1` (linear), `out_layers.{0: GN, 3: conv}`,
 * `skip_connection` (a 1×1×1 conv when the channel count changes; no parameters otherwise).
 */
import { F, Tensor, tidy } from '../../tensor/index.js';
import { Conv, Dropout, Identity, Linear, Module, Sequential, SiLU } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { GroupNorm32 } from './groupNorm32.js';
import { zeroInit } from './zeroInit.js';

export interface ResBlockOptions {
  inChannels: number;
  outChannels: number;
  /** Width of the time embedding the block receives. */
  embChannels: number;
  numGroups: number;
  dropout: number;
  /** Resample by 2 on every axis between the first norm and the first conv, and on the skip path. */
  resample?: 'down' | 'up';
}

export class ResBlock extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly resample: 'down' | 'up' | undefined;
  readonly #inNorm: GroupNorm32;
  readonly #inConv: Conv;
  readonly #embLayers: Sequential;
  readonly #outLayers: Sequential;
  readonly #skip: Conv | Identity;

  /** Constructs (and so draws initial weights) in the reference's order; see {@link zeroInit}. */
  constructor(options: ResBlockOptions) {
    super();
    const { inChannels, outChannels, embChannels, numGroups, dropout, resample } = options;
    assert(resample === undefined || inChannels === outChannels,
      () => `ResBlock: a ${resample} block keeps its channels, got ${inChannels} → ${outChannels}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.resample = resample;
    const conv3 = (cin: number, cout: number) => new Conv({ spatialDims: 3, inChannels: cin, outChannels: cout, kernelSize: 3, padding: 1 });
    this.#inNorm = new GroupNorm32(numGroups, inChannels);
    this.#inConv = conv3(inChannels, outChannels);
    this.registerModule('in_layers', new Sequential(this.#inNorm, new SiLU(), this.#inConv));
    this.#embLayers = this.registerModule('emb_layers', new Sequential(new SiLU(), new Linear(embChannels, outChannels)));
    this.#outLayers = this.registerModule('out_layers',
      new Sequential(new GroupNorm32(numGroups, outChannels), new SiLU(), new Dropout(dropout), zeroInit(conv3(outChannels, outChannels))));
    this.#skip = this.registerModule('skip_connection', inChannels === outChannels
      ? new Identity()
      : new Conv({ spatialDims: 3, inChannels, outChannels, kernelSize: 1 }));
  }

  /** x (N, inChannels, D, H, W), emb (N, embChannels) → (N, outChannels, D', H', W'). */
  forward(x: Tensor, emb: Tensor): Tensor {
    assert(x.ndim === 5 && x.shape[1] === this.inChannels,
      () => `ResBlock.forward: x must be (N, ${this.inChannels}, D, H, W), got shape ${fmtShape(x.shape)}`);
    return tidy('ResBlock.forward', () => {
      let h = F.silu(this.#inNorm.forward(x));
      let skipInput = x;
      if (this.resample !== undefined) {
        h = resample2x(h, this.resample);
        skipInput = resample2x(x, this.resample);
      }
      h = this.#inConv.forward(h);
      const embOut = this.#embLayers.forward(emb);
      h = h.add(embOut.reshape([...embOut.shape, 1, 1, 1]));
      h = this.#outLayers.forward(h);
      return this.#skip.forward(skipInput).add(h);
    });
  }
}

function resample2x(x: Tensor, direction: 'down' | 'up'): Tensor {
  if (direction === 'up') return F.interpolate(x, { scaleFactor: 2, mode: 'nearest' });
  // libtorch 1.13 has no bfloat16 avg_pool3d on the CPU; a mean of 8 values loses nothing in float32.
  return x.dtype === 'bfloat16' ? F.avgPool3d(x.float(), 2).to('bfloat16') : F.avgPool3d(x, 2);
}
