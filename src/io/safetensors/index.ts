/** The safetensors format: bytes in and out, and atomic files. */
export * from './rawTensor.js';
export * from './safetensors.js';
export * from './safetensorsFile.js';
export { tensorToRaw, rawToTensor } from './tensorRaw.js';
