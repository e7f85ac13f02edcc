/** `zeroInit`: guided-diffusion's `zero_module` for a convolution (2-D, 3-D, or the 1-D projections of attention). */
import { noGrad } from '../../tensor/index.js';
import type { Conv } from '../../nn/index.js';

/**
 * Zeroes a convolution after it was built, as the reference's `zero_module` does. Building first consumes
 * the same random draws as the reference, so the other layers' default initialisation stays in step with it.
 */
export function zeroInit(conv: Conv): Conv {
  noGrad(() => {
    conv.weight.zero_();
    conv.bias?.zero_();
  });
  return conv;
}
