/**
 * The orthonormal Haar wavelet transform of 2-D or 3-D volumes, one level, in closed form (strided pairs, no
 * filter matrices). It reproduces the cWDM reference's `DWT_3D('haar')` / `IDWT_3D('haar')` (spec §2): along each
 * axis, sample pairs (x[2i], x[2i+1]) become low (x[2i] + x[2i+1])/√2 and high (x[2i] − x[2i+1])/√2, and the
 * inverse is the transpose. No boundary extension exists in the reference, so every axis must be even.
 *
 * Layout. Band b of input channel c goes to output channel c·2^k + b (k spatial axes), with b = Σ_a [axis a is
 * high]·2^(k−1−a): the reference's order LLL, LLH, LHL, LHH, HLL, HLH, HHL, HHH for (D, H, W), letters naming the
 * filter on axes a0, a1, a2. Bands of one input channel stay together (channel-major) because that is how the
 * reference stacks several modalities: the 24 condition channels are DWT(cond₁)'s 8 bands, then cond₂'s, then
 * cond₃'s (spec §6), so the DWT of the three conditions stacked as channels is exactly the reference's input.
 * With one input channel both layouts coincide.
 *
 * Only differentiable view and arithmetic ops are used, so gradients flow through both directions.
 */
import { F, Tensor, tidy } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { checkSpatialShape } from './checkSpatialShape.js';

/** Band names in channel order for `spatialDims` axes: 'LLL', 'LLH', … 'HHH' in 3-D, 'LL' … 'HH' in 2-D. */
export function haarBandNames(spatialDims: 2 | 3): readonly string[] {
  return Array.from({ length: 2 ** spatialDims }, (_, band) =>
    Array.from({ length: spatialDims }, (_, axis) => ((band >> (spatialDims - 1 - axis)) & 1 ? 'H' : 'L')).join(''));
}

/** Raw DWT coefficients (no LLL/3): (N, C, D, H, W) → (N, 8C, D/2, H/2, W/2); rank 4 gives (N, 4C, H/2, W/2). */
export function haarDwt(x: Tensor): Tensor {
  const k = spatialDimsOf('haarDwt', 'x', x);
  checkSpatialShape('haarDwt', x.shape, k, 2, 'the Haar transform pairs neighbouring samples and has no boundary extension, so every axis must be even');
  const [n, c, ...spatial] = x.shape;
  const half = spatial.map((s) => s / 2);
  return tidy(() => {
    // (N, C, s0/2, 2, s1/2, 2, …): each axis split into (pair index, position in the pair).
    let y = x.reshape([n, c, ...half.flatMap((h) => [h, 2])]);
    for (let axis = 0; axis < k; axis++) y = haarButterfly(y, 3 + 2 * axis);
    // → (N, C, b0, b1, …, s0/2, s1/2, …), then the band bits fold into the channel axis.
    const bandDims = half.map((_, axis) => 3 + 2 * axis);
    const pairDims = half.map((_, axis) => 2 + 2 * axis);
    return y.permute([0, 1, ...bandDims, ...pairDims]).reshape([n, c * 2 ** k, ...half]);
  });
}

/** Inverse of {@link haarDwt} on raw coefficients: (N, 8C, d, h, w) → (N, C, 2d, 2h, 2w); rank 4 likewise in 2-D. */
export function haarIdwt(coefficients: Tensor): Tensor {
  const k = spatialDimsOf('haarIdwt', 'coefficients', coefficients);
  const [n, channels, ...half] = coefficients.shape;
  const bands = 2 ** k;
  assert(channels % bands === 0,
    () => `haarIdwt: coefficients must have a multiple of ${bands} channels (${bands} bands per image channel), got ${channels} (shape ${fmtShape(coefficients.shape)})`);
  const c = channels / bands;
  return tidy(() => {
    let y = coefficients.reshape([n, c, ...half.map(() => 2), ...half]);
    for (let axis = 0; axis < k; axis++) y = haarButterfly(y, 2 + axis);
    // (N, C, b0, b1, …, s0, s1, …) → (N, C, s0, b0, s1, b1, …): each band bit becomes the position in its pair.
    const order = half.flatMap((_, axis) => [2 + k + axis, 2 + axis]);
    return y.permute([0, 1, ...order]).reshape([n, c, ...half.map((h) => 2 * h)]);
  });
}

/**
 * The 2×2 Haar step on a size-2 axis: (a, b) → ((a + b)/√2, (a − b)/√2). The matrix is symmetric and its own
 * inverse, so the same step serves the analysis (pairs → bands) and the synthesis (bands → pairs).
 */
function haarButterfly(y: Tensor, dim: number): Tensor {
  const a = y.select(dim, 0);
  const b = y.select(dim, 1);
  return F.stack([a.add(b), a.sub(b)], dim).mul(Math.SQRT1_2);
}

function spatialDimsOf(fn: string, name: string, x: Tensor): 2 | 3 {
  assert(x.ndim === 4 || x.ndim === 5,
    () => `${fn}: ${name} must be rank 5 (N, C, D, H, W) or rank 4 (N, C, H, W), got rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
  return x.ndim === 5 ? 3 : 2;
}
