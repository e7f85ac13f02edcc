import { readRegularFile } from '../index.js';
import { type TorchCheckpointContents, type TorchCheckpointOptions, decodeTorchCheckpoint } from './torchCheckpoint.js';

/** Reads a torch.save checkpoint from disk; see {@link decodeTorchCheckpoint}. Nothing in the file is executed. */
export async function loadTorchCheckpoint(path: string, options: TorchCheckpointOptions = {}): Promise<TorchCheckpointContents> {
  const file = await readRegularFile(path);
  return decodeTorchCheckpoint(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), path, options);
}
