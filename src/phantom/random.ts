import { assert } from '../util/index.js';

/**
 * The phantom's own seeded generator, so that a data set is reproducible from its seed on any machine and Node
 * version (Math.random cannot be seeded). The core is sfc32 (Chris Doty-Humphrey's "small fast counting"
 * generator from PractRand): 128 bits of state, 32-bit outputs, passes PractRand to terabytes, and is only
 * 32-bit integer arithmetic, which V8 runs fast. The state is filled from the key (seed, stream indices…) through
 * the murmur3 finaliser, so nearby keys give unrelated streams; a stream depends only on its own key, which is
 * what makes case k of a data set the same whatever the number of cases.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = Number.NaN;

  /** `key` is the seed followed by stream indices, e.g. `new Random(seed, caseIndex, styleCode)`. */
  constructor(...key: number[]) {
    assert(key.length > 0, () => 'Random: needs at least a seed, got no key');
    for (const k of key) {
      assert(Number.isSafeInteger(k) && k >= 0, () =>
        `Random: key entries must be non-negative safe integers, got ${k} in [${key.join(',')}]`);
    }
    // Absorb every key word (low and high 32 bits) into a running hash, then draw the four state words from it.
    let h = 0x9e3779b9 ^ key.length;
    for (const k of key) {
      h = fmix32(h ^ (k >>> 0));
      h = fmix32(h ^ Math.floor(k / 2 ** 32));
    }
    this.a = h = fmix32(h + 0x6a09e667);
    this.b = h = fmix32(h + 0xbb67ae85);
    this.c = h = fmix32(h + 0x3c6ef372);
    this.d = 1;
    // The first outputs of sfc32 still show the seeding; the reference implementation discards a dozen.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    assert(Number.isInteger(n) && n > 0 && n <= 4294967296, () => `Random.int: n must be an integer in [1, 2^32], got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal deviate (see {@link fillNormal}; the second deviate of each pair is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return u * m;
  }

  /**
   * Fills `out` with independent standard normal deviates by Marsaglia's polar method: a uniform point (u, v)
   * in the unit disc, s = u² + v², gives the pair (u, v)·√(−2 ln s / s). It needs no sine or cosine, which
   * makes it the fastest exact method here; 21 % of points fall outside the disc and are drawn again.
   */
  fillNormal(out: Float32Array): Float32Array {
    const n = out.length;
    let i = 0;
    while (i < n) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const m = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * m;
      if (i < n) out[i++] = v * m;
    }
    return out;
  }
}

/** murmur3's 32-bit finaliser: a bijection whose every output bit depends on every input bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
