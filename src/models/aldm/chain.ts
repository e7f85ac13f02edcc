/** `chain`: layers applied in turn with each intermediate freed as soon as the next one has consumed it. */
import type { Tensor } from '../../tensor/index.js';

/** A tensor-to-tensor function, or a layer whose `forward` is one. */
export type ChainStep = ((input: Tensor) => Tensor) | { forward(input: Tensor): Tensor };

/**
 * Applies `steps` to `x` in order and frees every intermediate result once the next step has returned, not at
 * the end of the enclosing scope: at 144×192×144 each 64-channel activation is 1 GB, and holding a block's
 * six of them at once would triple the peak memory of a forward pass. Freeing a handle is safe under
 * autograd, which keeps its own references to what the backward pass needs. `x` and the result stay alive.
 */
export function chain(x: Tensor, ...steps: ChainStep[]): Tensor {
  let h = x;
  for (const step of steps) {
    const next = typeof step === 'function' ? step(h) : step.forward(h);
    if (h !== x && next !== h) h.dispose();
    h = next;
  }
  return h;
}
