/** Sinusoidal timestep embedding of guided-diffusion's `timestep_embedding`, which the cWDM and ALDM references use. */
import { type Device, F, Tensor, arange, tidy } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';

const TIMESTEP_DTYPES = ['int64', 'int32', 'float32', 'float64'];

/**
 * (N,) timesteps → (N, dim) float32: with half = ⌊dim/2⌋ and f_k = exp(−ln(maxPeriod)·k/half), k = 0…half−1,
 * the row is [cos(t·f_0 … t·f_{half−1}), sin(t·f_0 … t·f_{half−1})] — cosines first — and one zero column
 * when `dim` is odd. The references pass the raw timestep index (0…999) with no rescaling. The frequencies
 * are computed with the same float32 operations in the same order as the references, so the embedding is
 * bit-identical to theirs on the same libtorch.
 */
export function timestepEmbedding(timesteps: Tensor, dim: number, maxPeriod = 10000): Tensor {
  assert(timesteps.ndim === 1 && TIMESTEP_DTYPES.includes(timesteps.dtype),
    () => `timestepEmbedding: timesteps must be a rank-1 tensor of ${TIMESTEP_DTYPES.join('/')}, got ${timesteps.dtype} shape ${fmtShape(timesteps.shape)}`);
  assert(Number.isInteger(dim) && dim >= 2, () => `timestepEmbedding: dim must be an integer ≥ 2, got ${dim}`);
  return tidy('timestepEmbedding', () => {
    const half = Math.floor(dim / 2);
    const freqs = arange(0, half, 1, { dtype: 'float32', device: timesteps.device as Device }).mul(-Math.log(maxPeriod)).div(half).exp();
    const args = timesteps.float().unsqueeze(1).mul(freqs.unsqueeze(0));
    const embedding = F.cat([args.cos(), args.sin()], -1);
    return dim % 2 === 0 ? embedding : F.pad(embedding, [0, 1]);
  });
}
