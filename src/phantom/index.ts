/** The synthetic multi-contrast brain phantom (SRI24 anatomy, CC BY-SA 3.0). */
export * from './generator.js';
export * from './caseFiles.js';
export * from './anatomy.js';
export * from './grid.js';
export * from './license.js';
export { PhantomPool } from './phantomPool.js';
