/** `Identity`: passes its input through, for optional stages (a skip connection without projection). */
import { Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export class Identity extends Module {
  /** Returns the input itself, not a copy, as torch.nn.Identity does. */
  forward(input: Tensor): Tensor {
    return input;
  }
}
