import { createHash } from 'node:crypto';

/**
 * A number in [0, 1) that depends only on the seed and the given parts: SHA-256 of their JSON encoding, first 48
 * bits. Unlike a stream RNG, each key's value ignores every other key, so results do not depend on listing order
 * and adding keys never changes the values of existing ones. JSON keeps `('a-b','c')` apart from `('a','b-c')`.
 */
export function stableUnit(seed: number, ...parts: readonly string[]): number {
  const digest = createHash('sha256').update(JSON.stringify([seed, ...parts])).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
