/** `Sequential`: modules applied one after another; their keys are their positions ('0', '1', …), as in PyTorch. */
import { Tensor, tidy } from '../tensor/index.js';
import { ModuleList } from './moduleList.js';
import type { Module } from './module.js';

/** A module that maps one tensor to one tensor: what a `Sequential` can chain. */
export type TensorModule = Module & { forward(input: Tensor): Tensor };

/** A `ModuleList` of tensor-to-tensor layers that is itself one: `forward` runs them in order. */
export class Sequential extends ModuleList<TensorModule> {
  protected override readonly itemNoun: string = 'layers';

  constructor(...layers: TensorModule[]) {
    super(layers);
  }

  /** Intermediate results are freed as soon as the next layer has consumed them. */
  forward(input: Tensor): Tensor {
    return tidy('Sequential.forward', () => {
      let x = input;
      for (const layer of this) x = layer.forward(x);
      return x;
    });
  }
}
