/** `ReLU`: max(x, 0) as a module, so it can hold its position in a `Sequential` (SPADE's `mlp_shared.1`). */
import { F, Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return F.relu(input);
  }
}
