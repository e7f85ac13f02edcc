/**
 * Seedable random generators. Every random op takes an explicit `Generator` or falls back to the global
 * one; the global generator is seeded by `manualSeed` and its state can be captured and restored, which
 * exact resumption of training needs.
 */
import { native } from './native.js';
import { Tensor } from './tensor.js';

const ADOPT = Symbol('adopt an existing native generator');

export class Generator {
  #handle: number;

  /** A new generator on `device` seeded with `seed` (the same seed gives PyTorch's torch.Generator stream). */
  constructor(seed: number | bigint | typeof ADOPT = 0n, device = 'cpu', adopted = 0) {
    this.#handle = seed === ADOPT ? adopted : native.generatorCreate(device, BigInt(seed));
  }

  /** The generator that ops use when none is given (PyTorch's default generator for that device). */
  static global(device = 'cpu'): Generator {
    return new Generator(ADOPT, device, native.generatorDefault(device));
  }

  get handle(): number {
    if (this.#handle < 0) throw new Error('Generator: this generator was disposed');
    return this.#handle;
  }

  manualSeed(seed: number | bigint): this {
    native.generatorSeed(this.handle, BigInt(seed));
    return this;
  }

  get initialSeed(): bigint {
    return native.generatorInitialSeed(this.handle);
  }

  /** The full generator state as bytes (for checkpoints). */
  getState(): Uint8Array {
    const state = new Tensor(native.generatorGetState(this.handle));
    try {
      return state.rawBytes();
    } finally {
      state.dispose();
    }
  }

  setState(bytes: Uint8Array): void {
    const state = new Tensor(native.fromBuffer(bytes, [bytes.length], 0));
    try {
      native.generatorSetState(this.handle, state.handle);
    } finally {
      state.dispose();
    }
  }

  dispose(): void {
    if (this.#handle > 0) native.generatorRelease(this.#handle);
    this.#handle = -1;
  }
}

/** Seeds the global generators of every device, like torch.manual_seed. */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(BigInt(seed));
}
