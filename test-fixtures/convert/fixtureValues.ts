/**
 * Test support for the convert fixtures: the keys and shapes the checkpoints were written with, and the
 * values make_checkpoints.py put in them, recomputed here independently of any checkpoint reader.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixturePath = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** The `tiny` network's keys and shapes, in state-dict order, as dumpKeys.ts wrote them. */
export const TINY_KEYS: { key: string; shape: number[] }[] = JSON.parse(readFileSync(fixturePath('tiny-keys.json'), 'utf8'));

/** Tensor `index` (in TINY_KEYS order), row-major: float32(((index · 7919 + j) mod 1000) / 1000 − 0.5). */
export function fixtureValues(index: number): Float32Array {
  const n = TINY_KEYS[index].shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, j) => ((index * 7919 + j) % 1000) / 1000 - 0.5);
}
