/** `clipGradNorm_`: rescales gradients in place so that their joint 2-norm is at most `maxNorm`, as torch.nn.utils.clip_grad_norm_. */
import { F, Tensor, noGrad, tidy } from '../tensor/index.js';
import { assert } from '../util/index.js';

/**
 * Treats all gradients as one vector: total = ‖(‖g₁‖₂, ‖g₂‖₂, …)‖₂, coefficient = maxNorm / (total + 10⁻⁶),
 * and multiplies every gradient by min(coefficient, 1). Parameters without a gradient are skipped. Returns
 * the total norm before clipping (0 when no parameter has a gradient). The arithmetic, including forming the
 * coefficient as reciprocal times maxNorm (Python's `float / tensor`), is PyTorch 1.13's, so clipped
 * gradients are bit-identical to it.
 */
export function clipGradNorm_(parameters: Iterable<Tensor>, maxNorm: number): number {
  assert(Number.isFinite(maxNorm) && maxNorm > 0, () => `clipGradNorm_: maxNorm must be a finite number > 0, got ${maxNorm}`);
  return tidy('clipGradNorm_', () => noGrad(() => {
    const grads = [...parameters].map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (grads.length === 0) return 0;
    const total = F.stack(grads.map((g) => g.norm(2))).norm(2);
    const coefficient = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    for (const grad of grads) grad.mul_(coefficient);
    return total.item();
  }));
}
