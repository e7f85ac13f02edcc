/**
 * Memory scopes for native tensors. V8 cannot see libtorch's memory and Node 20 runs no finalizers during a
 * synchronous loop, so a training loop that relied on garbage collection would grow without bound. Every
 * tensor created inside `tidy(fn)` is freed when `fn` returns, except what `fn` returns (handed to the
 * enclosing scope) and what was `keep()`-ed (owned by the caller from then on, e.g. weights).
 */

export interface Tracked {
  readonly isDisposed: boolean;
  dispose(): void;
}

interface Scope {
  readonly name: string;
  readonly tracked: Tracked[];
}

const scopes: Scope[] = [];
const kept = new WeakSet<Tracked>();

/** Called by every tensor at birth: it belongs to the innermost open scope, if any. */
export function track(item: Tracked): void {
  const scope = scopes[scopes.length - 1];
  if (scope !== undefined) scope.tracked.push(item);
}

/** Exempts a tensor from scope cleanup; whoever keeps it must dispose it. Returns it for chaining. */
export function keep<T extends Tracked>(item: T): T {
  kept.add(item);
  return item;
}

/** Collects every Tracked value inside a result (a tensor, arrays and plain objects of them). */
function collect(value: unknown, into: Set<Tracked>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isTracked(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, depth + 1);
}

function isTracked(value: object): value is Tracked {
  return typeof (value as Tracked).dispose === 'function' && 'isDisposed' in value;
}

/**
 * Runs `fn` in a new scope and frees every tensor it created except those it returns (which move to the
 * enclosing scope) and kept ones. Async functions are refused: a scope cannot span an await.
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
  const [name, fn] = typeof nameOrFn === 'string' ? [nameOrFn, maybeFn!] : ['tidy', nameOrFn];
  const scope: Scope = { name, tracked: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error(`${name}: tidy() cannot run an async function; await outside and tidy the synchronous parts`);
    }
  } catch (error) {
    endScope(scope, new Set());
    throw error;
  }
  const survivors = new Set<Tracked>();
  collect(result, survivors);
  endScope(scope, survivors);
  return result;
}

function endScope(scope: Scope, survivors: Set<Tracked>): void {
  const top = scopes.pop();
  if (top !== scope) throw new Error(`tidy: scope '${scope.name}' closed out of order`);
  const parent = scopes[scopes.length - 1];
  for (const item of scope.tracked) {
    if (item.isDisposed || kept.has(item)) continue;
    if (survivors.has(item)) parent?.tracked.push(item);
    else item.dispose();
  }
}

/** Disposes every tensor inside a value (a tensor, arrays and plain objects of them). */
export function dispose(value: unknown): void {
  const items = new Set<Tracked>();
  collect(value, items);
  for (const item of items) if (!item.isDisposed) item.dispose();
}
