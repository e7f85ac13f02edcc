/** `Embedding`: a lookup table of learned vectors, torch.nn.Embedding with its N(0, 1) initialisation. */
import { F, Tensor, empty, noGrad } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { Module } from './module.js';

export class Embedding extends Module {
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    super();
    for (const [name, value] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      assert(Number.isInteger(value) && value > 0, () => `Embedding: ${name} must be a positive integer, got ${value}`);
    }
    const weight = this.registerParameter('weight', empty([numEmbeddings, embeddingDim]));
    noGrad(() => weight.normal_(0, 1));
  }

  get weight(): Tensor { return this.parameter('weight'); }

  /** Integer indices of any shape → (…indices.shape, embeddingDim). */
  forward(indices: Tensor): Tensor {
    assert(indices.dtype === 'int64' || indices.dtype === 'int32',
      () => `Embedding.forward: indices must be int64 or int32, got ${indices.dtype} (shape ${fmtShape(indices.shape)})`);
    return F.embedding(this.weight, indices);
  }
}
