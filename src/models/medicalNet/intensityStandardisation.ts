/**
 * The input convention of MedicalNet features as MONAI's PerceptualLoss applies it (`medicalnet_intensity_normalisation`
 * in monai/losses/perceptual.py): subtract the mean and divide by the standard deviation, both taken over the whole
 * tensor it is given — every sample and channel of the batch together — with the unbiased (n − 1) estimate of torch's
 * `std()`. For one single-channel volume that is per-volume standardisation; for a batch it is not, so a loss that
 * must equal MONAI's passes the batch as MONAI does.
 *
 * MedicalNet's own training (datasets/brains18.py) differed: statistics of the voxels above 0 only (biased estimate)
 * and the background replaced by N(0, 1) noise. MONAI's deterministic form is the one followed here.
 */
import { Tensor, tidy } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';

/** (x − mean(x)) / std(x) over all elements, differentiable in x. A constant input has no scale and is refused. */
export function standardiseIntensities(volume: Tensor): Tensor {
  assert(volume.numel > 1, () => `standardiseIntensities: needs more than one value to estimate a spread, got shape ${fmtShape(volume.shape)}`);
  return tidy('standardiseIntensities', () => {
    const std = volume.std();
    const spread = std.item();
    assert(spread > 0, () => `standardiseIntensities: the input (shape ${fmtShape(volume.shape)}) is constant `
      + `(standard deviation ${spread}); it has no scale to standardise`);
    return volume.sub(volume.mean()).div(std);
  });
}
