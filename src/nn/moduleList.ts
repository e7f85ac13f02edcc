/** `ModuleList`: an indexed list of submodules whose keys are their positions ('0', '1', …), as in PyTorch. */
import { assert } from '../util/index.js';
import { Module } from './module.js';

export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  readonly #items: M[] = [];
  /** What the items are called in messages ('modules'; a Sequential's are 'layers'). */
  protected readonly itemNoun: string = 'modules';

  constructor(modules: Iterable<M> = []) {
    super();
    for (const module of modules) this.append(module);
  }

  append(module: M): this {
    this.#items.push(this.registerModule(String(this.#items.length), module));
    return this;
  }

  get length(): number {
    return this.#items.length;
  }

  at(index: number): M {
    const module = this.#items.at(index);
    assert(module !== undefined, () => `${this.constructor.name}.at: index ${index} out of range for ${this.#items.length} ${this.itemNoun}`);
    return module;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }
}
