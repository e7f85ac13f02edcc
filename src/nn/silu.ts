/** `SiLU`: x·σ(x) as a module, so it can sit in a `Sequential`. */
import { F, Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}
