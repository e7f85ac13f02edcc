/** Small helpers that keep `undefined` handling out of model code. Import them; never copy them. */

export function exists<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

export function withDefault<T>(value: T | null | undefined, fallback: T | (() => T)): T {
  if (exists(value)) return value;
  return typeof fallback === 'function' ? (fallback as () => T)() : fallback;
}

/** Expands a scalar into a tuple of `length` copies; an array must already have that length. */
export function castTuple<T>(value: T | readonly T[], length: number, what = 'value'): T[] {
  if (Array.isArray(value)) {
    if (value.length !== length) throw new Error(`${what}: expected ${length} entries, got ${value.length} ([${value.join(',')}])`);
    return [...value];
  }
  return Array.from({ length }, () => value as T);
}

export function product(values: readonly number[]): number {
  let p = 1;
  for (const v of values) p *= v;
  return p;
}

/** Whether two shapes (or any two integer lists) are equal entry for entry. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
