/** `Sequential`: modules applied one after another; their keys are their positions ('0', '1', …), as in PyTorch. */
import { Tensor, tidy } from '../tensor/index.js';
import { assert } from '../util/assert.js';
import { Module } from './module.js';

/** A module that maps one tensor to one tensor: what a `Sequential` can chain. */
export type TensorModule = Module & { forward(input: Tensor): Tensor };

export class Sequential extends Module {
  readonly #layers: TensorModule[] = [];

  constructor(...layers: TensorModule[]) {
    super();
    for (const layer of layers) this.append(layer);
  }

  append(layer: TensorModule): this {
    this.#layers.push(this.registerModule(String(this.#layers.length), layer));
    return this;
  }

  get length(): number {
    return this.#layers.length;
  }

  at(index: number): TensorModule {
    const layer = this.#layers.at(index);
    assert(layer !== undefined, () => `Sequential.at: index ${index} out of range for ${this.#layers.length} layers`);
    return layer;
  }

  /** Intermediate results are freed as soon as the next layer has consumed them. */
  forward(input: Tensor): Tensor {
    return tidy('Sequential.forward', () => {
      let x = input;
      for (const layer of this.#layers) x = layer.forward(x);
      return x;
    });
  }
}
