/**
 * How volumes meet a run's network. A `Volume` stores voxel (i, j, k) at i + nx·(j + ny·k) (NIfTI order, i
 * fastest); the network sees (N, C, D, H, W) with D = i, H = j, W = k, which is how the reference's nibabel
 * arrays (a0, a1, a2) reach PyTorch (spec §3). Weights trained here and the reference's released weights therefore
 * see the same axes; training and completion must both convert through these two functions.
 */
import { F, Tensor, tensor, tidy } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import type { Volume } from '../volume/index.js';

/** Volumes on one grid → (1, C, nx, ny, nz) float32, channels in the given order. */
export function volumesToTensor(volumes: readonly Volume[]): Tensor {
  assert(volumes.length > 0, () => 'volumesToTensor: got no volumes');
  const [nx, ny, nz] = volumes[0].shape;
  for (const [c, v] of volumes.entries()) {
    assert(v.shape.every((n, a) => n === volumes[0].shape[a]) && v.data.length === nx * ny * nz,
      () => `volumesToTensor: volume ${c} has shape ${fmtShape(v.shape)} (${v.data.length} values), volume 0 has ${fmtShape(volumes[0].shape)}`);
  }
  return tidy(() => {
    // Each Float32Array read row-major is (nz, ny, nx); reversing the axes gives (nx, ny, nz).
    const channels = volumes.map((v) => tensor(v.data, { shape: [nz, ny, nx] }).permute([2, 1, 0]));
    return F.stack(channels, 0).unsqueeze(0).contiguous();
  });
}

/** Channel `channel` of sample `sample` of an (N, C, nx, ny, nz) tensor as volume data in NIfTI order. */
export function tensorToVolumeData(t: Tensor, channel = 0, sample = 0): Float32Array {
  assert(t.ndim === 5 && channel >= 0 && channel < t.shape[1] && sample >= 0 && sample < t.shape[0],
    () => `tensorToVolumeData: expected (N, C, D, H, W) with sample ${sample} < N and channel ${channel} < C, got shape ${fmtShape(t.shape)}`);
  return tidy(() => t.select(0, sample).select(0, channel).permute([2, 1, 0]).contiguous().toTypedArray<'float32'>());
}
