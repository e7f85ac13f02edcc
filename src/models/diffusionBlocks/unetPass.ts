import { F, type Tensor } from '../../tensor/index.js';
import type { EmbedSequential } from './embedSequential.js';

/**
 * The pass of a guided-diffusion U-Net between its embedding and its head: every input block's output is kept as a
 * skip, the middle block runs, and each output block takes the last skip concatenated on channels. Each skip and
 * concatenation is freed once consumed rather than at the end of the pass: at full size the widest are hundreds of
 * MB, and without gradients nothing else needs them (with gradients, autograd keeps what backward needs on its own).
 * Call it inside the caller's tidy scope; `x` is not freed. `context`: what cross-attention layers attend to, if any.
 */
export function unetPass(x: Tensor, emb: Tensor, inputBlocks: Iterable<EmbedSequential>, middleBlock: EmbedSequential,
  outputBlocks: Iterable<EmbedSequential>, context?: Tensor): Tensor {
  const skips: Tensor[] = [];
  let h = x;
  for (const block of inputBlocks) {
    h = block.forward(h, emb, context);
    skips.push(h);
  }
  h = middleBlock.forward(h, emb, context);
  for (const block of outputBlocks) {
    const skip = skips.pop()!;
    const joined = F.cat([h, skip], 1);
    h.dispose();
    skip.dispose();
    h = block.forward(joined, emb, context);
    joined.dispose();
  }
  return h;
}
