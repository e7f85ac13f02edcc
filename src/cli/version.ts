export { packageVersion } from '../util/index.js';
