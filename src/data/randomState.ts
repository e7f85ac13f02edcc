import { assert } from '../util/index.js';
import { MT19937 } from './mt19937.js';

/**
 * NumPy's legacy global RNG, `np.random.seed(seed)` followed by `np.random.randint(...)`, reproduced exactly, so
 * that scripts published with a challenge (BraSyn's `dropout_modality.py`) can be replayed in TypeScript.
 * Only the part those scripts use is here: integer seeding and `randint` with ranges up to 2^32.
 */
export class NumpyRandomState {
  private readonly mt: MT19937;

  /** `np.random.seed(seed)` for an integer seed: NumPy hands it straight to `init_genrand`. */
  constructor(seed: number) {
    assert(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, () =>
      `NumpyRandomState: seed must be an integer in [0, 2^32-1] as np.random.seed requires, got ${seed}`);
    this.mt = new MT19937(seed);
  }

  /**
   * `randint(low, high, size)`: `size` integers in [low, high). NumPy's legacy path draws 32-bit outputs, masks
   * them with the smallest all-ones mask covering `high - low - 1` and rejects values beyond it
   * (`random_bounded_uint64_fill` with `use_masked`); a range of one value consumes no draw.
   */
  randint(low: number, high: number, size: number): number[] {
    assert(Number.isSafeInteger(low) && Number.isSafeInteger(high) && high > low, () =>
      `NumpyRandomState.randint: need integers low < high, got low=${low}, high=${high}`);
    assert(high - low <= 2 ** 32, () =>
      `NumpyRandomState.randint: ranges wider than 2^32 use 64-bit draws, which are not reproduced; got ${high - low}`);
    assert(Number.isInteger(size) && size >= 0, () => `NumpyRandomState.randint: size must be a non-negative integer, got ${size}`);
    const range = high - low - 1;
    const out: number[] = [];
    if (range === 0) return Array.from({ length: size }, () => low);
    const mask = maskFor(range);
    while (out.length < size) {
      const value = (this.mt.nextUint32() & mask) >>> 0;
      if (value <= range) out.push(low + value);
    }
    return out;
  }
}

/** Smallest 2^k - 1 that is >= value (NumPy's `gen_mask`). */
function maskFor(value: number): number {
  let mask = value >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}
