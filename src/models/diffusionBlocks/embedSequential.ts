/**
 * `EmbedSequential`: guided-diffusion's `TimestepEmbedSequential` — layers applied in turn, each given the
 * time embedding too. Keys are positions ('0', '1', …) as in PyTorch, so `input_blocks.4.0.skip_connection`
 * names the same tensor here and in the reference.
 */
import { Tensor, tidy } from '../../tensor/index.js';
import { Module } from '../../nn/index.js';

/**
 * A layer of an `EmbedSequential`. Plain layers (a `Conv`) fit too: their `forward(x)` ignores the other
 * arguments, which is how the reference passes the embedding only to blocks that take one, and the context (the
 * tokens cross-attention attends to) only to its spatial transformers.
 */
export type EmbedLayer = Module & { forward(x: Tensor, emb: Tensor, context?: Tensor): Tensor };

export class EmbedSequential extends Module {
  readonly #layers: EmbedLayer[] = [];

  constructor(...layers: EmbedLayer[]) {
    super();
    for (const layer of layers) this.#layers.push(this.registerModule(String(this.#layers.length), layer));
  }

  forward(x: Tensor, emb: Tensor, context?: Tensor): Tensor {
    return tidy('EmbedSequential.forward', () => {
      let h = x;
      for (const layer of this.#layers) h = layer.forward(h, emb, context);
      return h;
    });
  }
}
