/** Parsers of command-line values shared by the commands, each refusing a bad value with what it expected. */
import { InvalidArgumentError } from 'commander';
import { parseContrast, type Contrast } from '../data/index.js';

export function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'`);
  return n;
}

export function parseNonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

/** A seed: any non-negative integer that is exact in a double. */
export const parseSeed = parseNonNegativeInteger;

/** A TCP port to listen on, where 0 asks for any free one. */
export function parseListenPort(value: string): number {
  return parsePortFrom(value, 0);
}

/** A TCP port others connect to (not 0). */
export function parsePort(value: string): number {
  return parsePortFrom(value, 1);
}

function parsePortFrom(value: string, min: number): number {
  const x = Number(value);
  if (!/^\d+$/.test(value.trim()) || x < min || x > 65535) throw new InvalidArgumentError(`expected a port number in ${min}–65535, got '${value}'`);
  return x;
}

/** A number of GiB > 0. */
export function parseGiB(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number of GiB > 0, got '${value}'`);
  return n;
}

/** Comma-separated items, none empty. */
export function parseList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list, got '${value}'`);
  return items;
}

export function parseContrastOption(value: string): Contrast {
  try {
    return parseContrast(value.trim(), 'contrast');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
