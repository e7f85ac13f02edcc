import { assert } from '../util/index.js';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/**
 * The Mersenne Twister MT19937 of Matsumoto and Nishimura (1998), 32-bit output, seeded with their
 * `init_genrand`. This is the generator behind NumPy's legacy `np.random.seed(int)`, which we must reproduce
 * draw for draw (see `randomState.ts`); it is not meant as a general-purpose RNG.
 */
export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    assert(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, () =>
      `MT19937: seed must be an integer in [0, 2^32-1], got ${seed}`);
    this.mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1];
      // Knuth's multiplier; Math.imul keeps the product in 32 bits as the C reference does.
      this.mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  /** Next 32-bit output, an integer in [0, 2^32): `genrand_int32` of the reference. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[(i + 1) % N] & LOWER_MASK);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }
}
