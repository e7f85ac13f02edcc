/**
 * How the ALDM stages score what they make against the real image during validation: PSNR inside the brain, in the
 * run's units.
 */
import { tidy, type Tensor } from '../../tensor/index.js';

/** The run's intensity units span [−1, 1] (the `aldm` intensity preset): PSNR's data range. */
export const DATA_RANGE = 2;

/**
 * PSNR in dB of `predicted` against `reference` over the reference's brain: skull-stripped data keeps its background at
 * the units' floor, so the brain is what lies above it.
 */
export function brainPsnr(predicted: Tensor, reference: Tensor): number {
  return tidy(() => {
    const brain = reference.gt(reference.min().item() + 1e-6).float();
    const mse = predicted.sub(reference).square().mul(brain).sum().item() / brain.sum().item();
    return 10 * Math.log10(DATA_RANGE ** 2 / mse);
  });
}
