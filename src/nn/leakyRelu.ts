/**
 * `LeakyReLU`: x for x ≥ 0, slope·x below, as a module, so it can hold its position in a `Sequential` (the
 * PatchGAN's `main.1`, `main.4`, …: a reference state dict numbers its layers including the parameterless ones).
 */
import { F, Tensor } from '../tensor/index.js';
import { assert } from '../util/index.js';
import { Module } from './module.js';

export class LeakyReLU extends Module {
  /** PyTorch's default slope, 0.01. */
  constructor(readonly negativeSlope = 0.01) {
    super();
    assert(Number.isFinite(negativeSlope), () => `LeakyReLU: negativeSlope must be a finite number, got ${negativeSlope}`);
  }

  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope);
  }
}
