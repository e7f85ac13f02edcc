/**
 * Quantiles with NumPy's default ('linear') definition: for sorted values v and q in [0, 1], the virtual
 * index h = q·(n − 1) splits into ⌊h⌋ and γ = h − ⌊h⌋, and the result is v[⌊h⌋] interpolated towards
 * v[⌊h⌋ + 1] by γ. The interpolation is written the way NumPy's `_lerp` does it (from the upper end when
 * γ ≥ ½), in float64, so values match `np.quantile` on the same numbers to the last bit.
 *
 * Order statistics of large inputs come from one streaming pass per rank around pivots read off a sorted
 * sample (the idea of Floyd–Rivest selection), with quickselect on a copy as the exact fallback, so a
 * 240×240×155 volume costs a few passes over memory and no sort.
 */
import { assert } from '../util/index.js';

/** Hoare-partition quickselect: afterwards a[k] is the k-th smallest, a[lo..k) ≤ a[k] ≤ a(k..hi]. */
function selectInPlace(a: Float32Array, k: number, lo: number, hi: number): void {
  let left = lo;
  let right = hi;
  while (right > left) {
    const mid = (left + right) >>> 1;
    const x = a[left], y = a[mid], z = a[right];
    // Median of three keeps sorted or reversed runs from degrading to quadratic time.
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    // Scans stop on elements equal to the pivot, so long runs of equal values (background zeros) still
    // split in the middle.
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

const SAMPLE_SIZE = 16384;

/**
 * The rank-r value by counting: values below a pivot bracket [lo, hi] taken from a sorted sample, values
 * equal to either pivot, and the few strictly between them, which are selected exactly. Returns undefined
 * when the bracket misses rank r (an unlucky sample), and the caller falls back to quickselect.
 */
function selectBySample(data: ArrayLike<number>, r: number, sample: Float32Array): number | undefined {
  const n = data.length;
  const m = sample.length;
  const p = (r / (n - 1)) * (m - 1);
  // ±4 standard deviations of a sample rank, so a miss is rare.
  const margin = 4 * Math.sqrt(m) + 1;
  const lo = sample[Math.max(0, Math.floor(p - margin))];
  const hi = sample[Math.min(m - 1, Math.ceil(p + margin))];
  let below = 0;
  let atLo = 0;
  let atHi = 0;
  const limit = Math.max(1024, n >>> 3);
  const between = new Float32Array(limit);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = data[i];
    if (x < lo) below++;
    else if (x === lo) atLo++;
    else if (x < hi) {
      if (count === limit) return undefined;
      between[count++] = x;
    } else if (x === hi) atHi++;
  }
  if (r < below) return undefined;
  if (r < below + atLo) return lo;
  if (r < below + atLo + count) {
    selectInPlace(between, r - below - atLo, 0, count - 1);
    return between[r - below - atLo];
  }
  if (r < below + atLo + count + atHi) return hi;
  return undefined;
}

function sortedSample(data: ArrayLike<number>): Float32Array {
  const sample = new Float32Array(SAMPLE_SIZE);
  // A fixed LCG keeps results and timings reproducible; the sample only steers speed, never the answer.
  let state = 12345;
  for (let i = 0; i < SAMPLE_SIZE; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    sample[i] = data[state % data.length];
  }
  return sample.sort();
}

/** Several quantiles (each q in [0, 1]) of the values in one pass of selections; the input is not modified. */
export function quantiles(data: ArrayLike<number>, qs: readonly number[]): number[] {
  const n = data.length;
  assert(n > 0, () => 'quantiles: data is empty; a quantile needs at least one value');
  for (const q of qs) assert(q >= 0 && q <= 1, () => `quantiles: q must lie in [0, 1], got ${q}`);
  for (let i = 0; i < n; i++) {
    assert(!Number.isNaN(data[i]), () => `quantiles: data contains NaN (first at index ${i}); quantiles of NaN are undefined`);
  }
  const plan = qs.map((q) => {
    const h = q * (n - 1);
    const below = Math.min(Math.floor(h), n - 1);
    return { below, above: Math.min(below + 1, n - 1), gamma: h - below };
  });
  const ranks = [...new Set(plan.flatMap((p) => [p.below, p.above]))].sort((a, b) => a - b);
  const order = new Map<number, number>();
  const sample = n > 16 * SAMPLE_SIZE ? sortedSample(data) : undefined;
  let values: Float32Array | undefined;
  let from = 0;
  for (const r of ranks) {
    const fast = sample && selectBySample(data, r, sample);
    if (fast !== undefined) {
      order.set(r, fast);
      continue;
    }
    // The copy is made on the first fallback; ranks ascend, so each selection searches above the last one.
    if (!values) {
      values = data instanceof Float32Array ? data.slice() : Float32Array.from(data);
      from = 0;
    }
    selectInPlace(values, r, from, n - 1);
    order.set(r, values[r]);
    from = r + 1;
  }
  return plan.map(({ below, above, gamma }) => {
    const a = order.get(below)!;
    const b = order.get(above)!;
    const diff = b - a;
    return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
  });
}

export function quantile(data: ArrayLike<number>, q: number): number {
  return quantiles(data, [q])[0];
}

/** Percentiles in [0, 100], as `np.percentile` (which divides by 100 and takes the quantile). */
export function percentiles(data: ArrayLike<number>, ps: readonly number[]): number[] {
  for (const p of ps) assert(p >= 0 && p <= 100, () => `percentiles: p must lie in [0, 100], got ${p}`);
  return quantiles(data, ps.map((p) => p / 100));
}

export function percentile(data: ArrayLike<number>, p: number): number {
  return percentiles(data, [p])[0];
}
