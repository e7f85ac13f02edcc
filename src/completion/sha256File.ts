import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';

/** SHA-256 (hex) of a file, streamed so large inputs are never held whole. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
