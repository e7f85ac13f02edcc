/** Evaluation: error metrics, 3D SSIM, regions, bootstrap summaries, result files and translation naming. */
export * from './errorMetrics.js';
export * from './ssim.js';
export * from './masks.js';
export * from './regionScores.js';
export * from './intensityRange.js';
export * from './bootstrap.js';
export * from './summariseScores.js';
export * from './caseScores.js';
export * from './scoreMatrix.js';
export * from './predictionName.js';
