/** `Dropout`: zeroes elements with probability p while training (scaling the rest by 1/(1−p)); identity in eval mode. */
import { F, Generator, Tensor } from '../tensor/index.js';
import { assert } from '../util/index.js';
import { Module } from './module.js';

export class Dropout extends Module {
  /** `generator` gives the masks their own stream; without it they come from the global generator, as in PyTorch. */
  constructor(readonly p = 0.5, readonly generator?: Generator) {
    super();
    assert(p >= 0 && p < 1, () => `Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.generator);
  }
}
