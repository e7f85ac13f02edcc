import { assert } from '../util/index.js';
import { canonicalOrder, type Contrast } from '../data/index.js';

/** The winning source contrast and its intensity map target ≈ a·source + b. */
export interface AffineBaseline {
  readonly source: Contrast;
  readonly a: number;
  readonly b: number;
  /** Residual sum of squares inside the mask, the fit's own score (lower is better). */
  readonly residual: number;
  /** a·source + b inside the mask, 0 outside (the background of skull-stripped volumes). */
  readonly prediction: Float32Array;
}

/**
 * The floor every synthesis model must beat: for each available source, the least-squares affine intensity map
 * onto the target inside `mask`, fitted on this very case (so it sees the target; an oracle for a one-parameter
 * pair, not a model), and the source whose fit leaves the smallest residual. A brighter/darker contrast that is
 * only a linear rescale of another is thus "synthesised" perfectly, and no model earns credit for that.
 * Closed form in float64: a = Sxy/Sxx, b = ȳ − a·x̄ over masked voxels; a constant source gives a = 0, b = ȳ.
 * Ties go to the first source in canonical contrast order.
 */
export function fitAffineBaseline(
  sources: Readonly<Partial<Record<Contrast, Float32Array>>>, target: Float32Array, mask: Uint8Array,
): AffineBaseline {
  const names = canonicalOrder(Object.keys(sources) as Contrast[]);
  assert(names.length > 0, () => 'fitAffineBaseline: needs at least one source contrast, got none');
  assert(mask.length === target.length, () => `fitAffineBaseline: mask has ${mask.length} voxels, the target ${target.length}`);
  let best: Omit<AffineBaseline, 'prediction'> | undefined;
  for (const name of names) {
    const x = sources[name]!;
    assert(x.length === target.length, () =>
      `fitAffineBaseline: source '${name}' has ${x.length} voxels, the target ${target.length}; they must share a grid`);
    const fit = fitOne(x, target, mask, name);
    if (best === undefined || fit.residual < best.residual) best = fit;
  }
  const { source, a, b } = best!;
  return { ...best!, prediction: applyAffineMap(sources[source]!, a, b, mask) };
}

/** One case's contribution to a pooled fit: its source and target contrasts (by name) and its brain mask. */
export interface PooledCase {
  readonly sources: Readonly<Partial<Record<Contrast, Float32Array>>>;
  readonly target: Float32Array;
  readonly mask: Uint8Array;
}

/**
 * The "trained" baseline: {@link fitAffineBaseline} over the brain voxels of many cases pooled into one, so the map is
 * fitted once on one data set and then applied ({@link applyAffineMap}) to the cases of another without reading
 * their targets — a floor for a model that learnt from that data set. Only sources every case has are tried.
 */
export function fitPooledAffineMap(cases: readonly PooledCase[]): Omit<AffineBaseline, 'prediction'> & { readonly voxels: number } {
  assert(cases.length > 0, () => 'fitPooledAffineMap: needs at least one case, got none');
  const shared = canonicalOrder(Object.keys(cases[0].sources) as Contrast[]).filter((s) => cases.every((c) => c.sources[s] !== undefined));
  assert(shared.length > 0, () => 'fitPooledAffineMap: no source contrast is present in every case');
  const voxels = cases.reduce((n, c) => n + c.mask.reduce((m, v) => m + (v !== 0 ? 1 : 0), 0), 0);
  const pool = (pick: (c: PooledCase) => Float32Array) => {
    const out = new Float32Array(voxels);
    let at = 0;
    for (const c of cases) {
      const values = pick(c);
      for (let v = 0; v < c.mask.length; v++) if (c.mask[v] !== 0) out[at++] = values[v];
    }
    return out;
  };
  const sources = Object.fromEntries(shared.map((s) => [s, pool((c) => c.sources[s]!)]));
  const { prediction: _pooled, ...fit } = fitAffineBaseline(sources, pool((c) => c.target), new Uint8Array(voxels).fill(1));
  return { ...fit, voxels };
}

/**
 * a·x + b inside `mask`, 0 outside: a baseline's map applied to a volume, whether fitted on that very case or on
 * others (a map fitted once on training cases and applied to held-out ones never reads their reference).
 */
export function applyAffineMap(x: Float32Array, a: number, b: number, mask: Uint8Array): Float32Array {
  assert(mask.length === x.length, () => `applyAffineMap: mask has ${mask.length} voxels, the volume ${x.length}`);
  const mapped = new Float32Array(x.length);
  for (let v = 0; v < x.length; v++) if (mask[v] !== 0) mapped[v] = a * x[v] + b;
  return mapped;
}

function fitOne(x: Float32Array, y: Float32Array, mask: Uint8Array, source: Contrast): Omit<AffineBaseline, 'prediction'> {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let v = 0; v < x.length; v++) {
    if (mask[v] === 0) continue;
    n++;
    sx += x[v];
    sy += y[v];
  }
  assert(n > 0, () => 'fitAffineBaseline: the mask is empty; there is nothing to fit');
  const mx = sx / n;
  const my = sy / n;
  // Centred sums: raw int16 intensities in the thousands would lose digits in Σx² − n·x̄².
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let v = 0; v < x.length; v++) {
    if (mask[v] === 0) continue;
    const dx = x[v] - mx;
    const dy = y[v] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const a = sxx > 0 ? sxy / sxx : 0;
  return { source, a, b: my - a * mx, residual: Math.max(0, syy - a * sxy) };
}

/**
 * The baseline as a model's synthesis would be: in the model's output range (cWDM: [0, 1]). Such a model's outputs
 * are clipped to that range, so a map in the same units is clipped alike before the two are compared; otherwise the
 * floor would be lowered by values no model output can take (a T1 map with a negative offset, for one).
 */
export function clipToRange(prediction: Float32Array, [low, high]: readonly [number, number]): Float32Array {
  return prediction.map((v) => Math.min(high, Math.max(low, v)));
}
