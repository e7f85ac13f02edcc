/**
 * Operators by schema name. `op('aten::add', 'Tensor')` names an ATen operator overload; its native id is
 * resolved on first use and cached, so a call costs one N-API crossing. Typed wrappers (Tensor methods,
 * functional.ts, creation.ts) are built on `callTensor` and friends; the schema decides how each argument is
 * converted, `undefined` selects the schema's default.
 */
import { native } from './native.js';

export class Op {
  #id = -1;
  constructor(readonly name: string, readonly overload = '') {}

  get id(): number {
    if (this.#id < 0) this.#id = native.opLookup(this.name, this.overload);
    return this.#id;
  }

  /** Whether the linked libtorch has this operator (e.g. fused attention exists only in libtorch 2.x). */
  get available(): boolean {
    try {
      return this.id >= 0;
    } catch {
      return false;
    }
  }

  get schema(): string {
    return native.opSchema(this.id);
  }
}

const ops = new Map<string, Op>();

export function op(name: string, overload = ''): Op {
  const key = `${name}.${overload}`;
  let found = ops.get(key);
  if (found === undefined) {
    found = new Op(name, overload);
    ops.set(key, found);
  }
  return found;
}
