/**
 * PyTorch's default initialisation of convolution and linear layers (torch 1.13 `reset_parameters`),
 * reproduced draw for draw so that the same seed and construction order give bit-identical weights.
 */
import { Tensor, noGrad } from '../tensor/index.js';

/**
 * kaiming_uniform_(weight, a=√5) then, for the bias, U(−1/√fan_in, 1/√fan_in), both from the global
 * generator, weight first. The weight bound is computed as PyTorch computes it, gain·√3/√fan_in with
 * gain = √(2/(1+a²)), rather than as the equal-on-paper 1/√fan_in: the doubles differ in the last bit for
 * some fan_in (81, for one), and following PyTorch's arithmetic keeps the float32 bound equal by
 * construction rather than by luck.
 */
export function initKaimingUniform(weight: Tensor, bias: Tensor | null, fanIn: number): void {
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const weightBound = Math.sqrt(3.0) * (gain / Math.sqrt(fanIn));
  noGrad(() => {
    weight.uniform_(-weightBound, weightBound);
    if (bias !== null && fanIn > 0) {
      const biasBound = 1 / Math.sqrt(fanIn);
      bias.uniform_(-biasBound, biasBound);
    }
  });
}
