/** Volumes on voxel grids placed in world space: affines, orientation, windows, resampling, percentiles. */
export * from './volume.js';
export * from './affine.js';
export * from './orientation.js';
export * from './permuteAxes.js';
export * from './extractWindow.js';
export * from './foregroundBox.js';
export * from './resample.js';
export * from './percentile.js';
