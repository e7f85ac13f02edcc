/**
 * Checks of a parsed JSON document's fields, each naming where in the document it is (`where`) and what was expected:
 * the one style run.json, the built-in models' manifest and the other files mrsynth reads are validated in.
 */
import { CONTRASTS, type Contrast } from '../data/index.js';
import { assert } from '../util/index.js';

export type Raw = Record<string, unknown>;

export function object(value: unknown, where: string): Raw {
  assert(typeof value === 'object' && value !== null && !Array.isArray(value), () => `${where} must be an object, got ${JSON.stringify(value)}`);
  return value as Raw;
}

export function keys(raw: Raw, required: readonly string[], optional: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) {
    assert(required.includes(key) || optional.includes(key),
      () => `${where}: unknown key '${key}'; expected ${[...required, ...optional].join(', ')}`);
  }
  for (const key of required) assert(key in raw, () => `${where}: missing '${key}'`);
}

export function number(value: unknown, where: string, ok: (n: number) => boolean, expected: string): number {
  assert(typeof value === 'number' && Number.isFinite(value) && ok(value), () => `${where} must be ${expected}, got ${JSON.stringify(value)}`);
  return value;
}

export function string(value: unknown, where: string): string {
  assert(typeof value === 'string' && value.length > 0, () => `${where} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

export function contrast(value: unknown, where: string): Contrast {
  assert(typeof value === 'string' && (CONTRASTS as readonly string[]).includes(value),
    () => `${where} must be one of ${CONTRASTS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Contrast;
}

export const isInteger = (n: number) => Number.isInteger(n);
export const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  assert((allowed as readonly unknown[]).includes(value), () => `${where} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
