/** Baselines a synthesis is compared against: the affine intensity map fitted per case. */
export { applyAffineMap, clipToRange, fitAffineBaseline } from './affineBaseline.js';
export type { AffineBaseline } from './affineBaseline.js';
