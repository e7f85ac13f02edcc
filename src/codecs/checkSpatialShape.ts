import { assert, fmtShape } from '../util/index.js';

/** Axis letters for the spatial dims of an (N, C, …) tensor, as the reference's code names them (D = a0, H = a1, W = a2). */
export function spatialAxisNames(spatialDims: 2 | 3): readonly string[] {
  return spatialDims === 3 ? ['D', 'H', 'W'] : ['H', 'W'];
}

/**
 * Checks that `shape` is (N, C, …spatial) with `spatialDims` spatial axes that all divide by `divisor`, and names
 * the first axis that does not: `haarDwt: spatial axis 1 (H) has size 9, not divisible by 2 (shape [1,1,8,9,8]); …`.
 * `why` is appended to say where the divisor comes from.
 */
export function checkSpatialShape(fn: string, shape: readonly number[], spatialDims: 2 | 3, divisor: number, why: string): void {
  assert(shape.length === spatialDims + 2,
    () => `${fn}: expected rank ${spatialDims + 2} (N, C, ${spatialAxisNames(spatialDims).join(', ')}), got rank ${shape.length} (shape ${fmtShape(shape)})`);
  const names = spatialAxisNames(spatialDims);
  for (let axis = 0; axis < spatialDims; axis++) {
    const size = shape[axis + 2];
    assert(size > 0 && size % divisor === 0,
      () => `${fn}: spatial axis ${axis} (${names[axis]}) has size ${size}, not divisible by ${divisor} (shape ${fmtShape(shape)}); ${why}`);
  }
}
