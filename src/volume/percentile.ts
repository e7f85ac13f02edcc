/**
 * Quantiles with NumPy's default ('linear') definition: for sorted values v and q in [0, 1], the virtual
 * index h = q·(n − 1) splits into ⌊h⌋ and γ = h − ⌊h⌋, and the result is v[⌊h⌋] interpolated towards
 * v[⌊h⌋ + 1] by γ. The interpolation is written the way NumPy's `_lerp` does it (from the upper end when
 * γ ≥ ½), in float64, so values match `np.quantile` on the same numbers to the last bit.
 *
 * Order statistics come from quickselect on one Float32Array copy, so a 240×240×155 volume costs a few
 * passes over memory and no sort.
 */
import { assert } from '../util/assert.js';

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

/** Several quantiles (each q in [0, 1]) of the values in one pass of selections; the input is not modified. */
export function quantiles(data: ArrayLike<number>, qs: readonly number[]): number[] {
  const n = data.length;
  assert(n > 0, () => 'quantiles: data is empty; a quantile needs at least one value');
  for (const q of qs) assert(q >= 0 && q <= 1, () => `quantiles: q must lie in [0, 1], got ${q}`);
  const values = Float32Array.from(data);
  for (let i = 0; i < n; i++) {
    assert(!Number.isNaN(values[i]), () => `quantiles: data contains NaN (first at index ${i}); quantiles of NaN are undefined`);
  }
  const plan = qs.map((q) => {
    const h = q * (n - 1);
    const below = Math.min(Math.floor(h), n - 1);
    return { below, above: Math.min(below + 1, n - 1), gamma: h - below };
  });
  // Select the needed ranks in increasing order; each selection only searches above the previous rank.
  const ranks = [...new Set(plan.flatMap((p) => [p.below, p.above]))].sort((a, b) => a - b);
  const order = new Map<number, number>();
  let from = 0;
  for (const r of ranks) {
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
