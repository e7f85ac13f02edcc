/**
 * The order training cases are visited in: a fresh seeded permutation per epoch (the reference's shuffled
 * loader, restarted when it runs out, spec §6), with its position as plain JSON so a checkpoint can put a
 * resumed run back on the very next case.
 */
import { Generator, randperm, tidy } from '../tensor/index.js';
import { assert } from '../util/index.js';

export interface DataOrderState {
  /** Epochs started so far, counting from 0. */
  readonly epoch: number;
  /** Position within this epoch's permutation: the next case is `order[index]`. */
  readonly index: number;
  /** This epoch's permutation of case indices. */
  readonly order: readonly number[];
}

export class DataOrder {
  #state: DataOrderState;

  /** Starts epoch 0 with a permutation drawn from `generator`, which later epochs keep drawing from. */
  constructor(readonly size: number, readonly generator: Generator) {
    assert(Number.isInteger(size) && size > 0, () => `DataOrder: size must be a positive integer, got ${size}`);
    this.#state = { epoch: 0, index: 0, order: this.#permutation() };
  }

  get state(): DataOrderState {
    return this.#state;
  }

  /** How many cases have been handed out since epoch 0 began: the position in the run of the next one. */
  get position(): number {
    return this.#state.epoch * this.size + this.#state.index;
  }

  /** The next `count` case indices; an epoch that runs out mid-batch continues in the next permutation. */
  next(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      let { epoch, index, order } = this.#state;
      if (index === order.length) {
        epoch += 1;
        index = 0;
        order = this.#permutation();
      }
      out.push(order[index]);
      this.#state = { epoch, index: index + 1, order };
    }
    return out;
  }

  /** Restores a checkpointed position; the permutation must be one of this many cases. */
  restore(state: DataOrderState, source: string): void {
    const { epoch, index, order } = state;
    const sorted = Array.isArray(order) ? [...order].sort((a, b) => a - b) : [];
    assert(Number.isInteger(epoch) && epoch >= 0 && Number.isInteger(index) && index >= 0 && index <= sorted.length
      && sorted.length === this.size && sorted.every((v, i) => v === i),
    () => `DataOrder.restore(${source}): expected a position in a permutation of ${this.size} cases, got epoch ${epoch}, index ${index}, `
      + `order of ${Array.isArray(order) ? order.length : 'no'} entries`);
    this.#state = { epoch, index, order: [...order] };
  }

  #permutation(): number[] {
    return tidy(() => Array.from(randperm(this.size, { generator: this.generator }).toTypedArray<'int64'>(), Number));
  }
}
