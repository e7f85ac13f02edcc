import { readRegularFile, writeFileAtomic, writeFileAtomicSync } from '../index.js';
import type { RawTensor } from './rawTensor.js';
import { type DecodeSafetensorsOptions, type SafetensorsContents, decodeSafetensors, encodeSafetensors } from './safetensors.js';

/**
 * Writes a safetensors file atomically: readers see the old file or the complete new one, never a torn one. The
 * data section's SHA-256 goes into its metadata, for {@link loadSafetensors} to check.
 */
export async function saveSafetensors(path: string, tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata, { checksum: true }));
}

/** Synchronous twin of {@link saveSafetensors}, for the Ctrl-C path where the event loop may not run again. */
export function saveSafetensorsSync(path: string, tensors: Record<string, RawTensor>, metadata?: Record<string, string>): void {
  writeFileAtomicSync(path, encodeSafetensors(tensors, metadata, { checksum: true }));
}

/** Reads and validates a whole safetensors file (its recorded checksum too, unless told not to); the tensors' bytes are views into the one file buffer. */
export async function loadSafetensors(path: string, options: DecodeSafetensorsOptions = {}): Promise<SafetensorsContents> {
  const file = await readRegularFile(path);
  return decodeSafetensors(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), path, options);
}
