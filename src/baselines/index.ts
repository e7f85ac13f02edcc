/** Baselines a synthesis is compared against: the affine intensity map fitted per case, or once on a pooled data set. */
export { applyAffineMap, clipToRange, fitAffineBaseline, fitPooledAffineMap } from './affineBaseline.js';
export type { AffineBaseline, PooledCase } from './affineBaseline.js';
