/** Small helpers every layer uses: assertions with lazy messages, shape and default helpers, a seeded PRNG, the package root. */
export { assert, fmtShape } from './assert.js';
export { formatGiB } from './formatGiB.js';
export { castTuple, exists, product, sameShape, withDefault } from './helpers.js';
export { mulberry32 } from './mulberry32.js';
export { packageRoot, packageVersion } from './packageRoot.js';
