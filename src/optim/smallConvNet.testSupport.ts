import { Conv, GroupNorm, Sequential, SiLU } from '../nn/index.js';

/**
 * Test support: the small 3-D network the training-memory test trains (and bench:engine times): 1 → 8 → 1 channels,
 * 3×3×3 convolutions, GroupNorm and SiLU — every kind of layer a training step of the real networks runs.
 */
export function smallConvNet(): Sequential {
  return new Sequential(
    new Conv({ spatialDims: 3, inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
    new GroupNorm(4, 8),
    new SiLU(),
    new Conv({ spatialDims: 3, inChannels: 8, outChannels: 1, kernelSize: 3, padding: 1 }),
  );
}
