export { packageVersion } from '../util/packageRoot.js';
