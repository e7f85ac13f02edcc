import { assert } from '../../util/index.js';
import { overLimit, readerLimits } from '../index.js';

/**
 * A pickle reader that never runs code. It understands the data opcodes of pickle protocols 2–5 that
 * `torch.save` emits for tensors, dicts, lists, tuples, numbers and strings. Every global the pickle names is
 * handed to the caller's `resolveGlobal`, which either returns a {@link PickleGlobal} (possibly callable with
 * a function written here) or throws; nothing is ever imported or executed. Values come back as plain
 * JavaScript: dicts as `Map`, lists and tuples as arrays, ints as numbers (bigints beyond 2^53), str as string.
 */

/** A global the caller allowed: a marker value, and callable through REDUCE when `call` is given. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: unknown[]) => unknown,
  ) {}
}

export interface UnpickleOptions {
  /** Names the pickle in error messages. */
  source: string;
  resolveGlobal(module: string, name: string): PickleGlobal;
  /** Turns a persistent id (BINPERSID) into a value; torch.save uses it for storages. */
  persistentLoad(pid: unknown): unknown;
  /**
   * BUILD on a value that is not a dict (an object's state being set): return true to let the state be dropped (the
   * caller knows the value stands for an object it does not rebuild); absent or false refuses it.
   */
  acceptsState?(target: unknown): boolean;
}

export type PickleKey = string | number | bigint | boolean | null;

const OP = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e, MARK: 0x28, POP: 0x30, POP_MARK: 0x31,
  NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89,
  BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, LONG4: 0x8b, BINFLOAT: 0x47,
  BINUNICODE: 0x58, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d,
  BINBYTES: 0x42, SHORT_BINBYTES: 0x43, BINBYTES8: 0x8e,
  EMPTY_LIST: 0x5d, APPEND: 0x61, APPENDS: 0x65, LIST: 0x6c,
  EMPTY_TUPLE: 0x29, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  EMPTY_DICT: 0x7d, SETITEM: 0x73, SETITEMS: 0x75, DICT: 0x64,
  GLOBAL: 0x63, STACK_GLOBAL: 0x93, REDUCE: 0x52, NEWOBJ: 0x81, BUILD: 0x62, BINPERSID: 0x51,
  BINPUT: 0x71, LONG_BINPUT: 0x72, MEMOIZE: 0x94, BINGET: 0x68, LONG_BINGET: 0x6a,
} as const;
const HIGHEST_PROTOCOL = 5;

export function restrictedUnpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const where = `restrictedUnpickle(${options.source})`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  // Every value pushed costs memory, and a pickle can push one per byte (EMPTY_DICT is one byte), so their count is bounded.
  const maxValues = readerLimits().pickleValues;
  let values = 0;
  const created = (): void =>
    assert(++values <= maxValues, () => overLimit(where, 'pickleValues', `it creates more values by byte ${pos}`));
  const push = (value: unknown): void => {
    created();
    stack.push(value);
  };

  const take = (length: number): Uint8Array => {
    assert(pos + length <= bytes.byteLength,
      () => `${where}: truncated: needs ${length} byte(s) at byte ${pos}, only ${bytes.byteLength - pos} left`);
    const out = bytes.subarray(pos, pos + length);
    pos += length;
    return out;
  };
  /** Consumes a fixed-size field and returns where it starts, for DataView reads. */
  const field = (length: number): number => {
    take(length);
    return pos - length;
  };
  const u8 = () => view.getUint8(field(1));
  const u16 = () => view.getUint16(field(2), true);
  const u32 = () => view.getUint32(field(4), true);
  const u64 = () => {
    const value = view.getBigUint64(field(8), true);
    assert(value <= BigInt(bytes.byteLength), () => `${where}: length ${value} at byte ${pos - 8} exceeds the pickle`);
    return Number(value);
  };
  const text = (length: number): string => {
    const raw = take(length);
    try {
      return utf8.decode(raw);
    } catch {
      throw new Error(`${where}: invalid UTF-8 in the string at byte ${pos - length}`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    assert(end >= 0, () => `${where}: truncated: unterminated GLOBAL name at byte ${pos}`);
    const out = text(end - pos);
    pos++;
    return out;
  };
  const pop = (): unknown => {
    assert(stack.length > 0, () => `${where}: stack underflow at byte ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    assert(stack.length > 0, () => `${where}: stack underflow at byte ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    assert(marks.length > 0, () => `${where}: no MARK before the opcode at byte ${pos - 1}`);
    const items = stack;
    stack = marks.pop()!;
    return items;
  };
  const expectList = (value: unknown): unknown[] => {
    assert(Array.isArray(value), () => `${where}: APPEND(S) at byte ${pos - 1} needs a list, got ${describe(value)}`);
    return value;
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    assert(target instanceof Map, () => `${where}: SETITEM(S) at byte ${pos - 1} needs a dict, got ${describe(target)}`);
    assert(items.length % 2 === 0, () => `${where}: SETITEMS at byte ${pos - 1} got an odd number of items (${items.length})`);
    for (let i = 0; i < items.length; i += 2) target.set(asKey(items[i]), items[i + 1]);
  };
  const asKey = (key: unknown): PickleKey => {
    assert(key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key),
      () => `${where}: dict key at byte ${pos - 1} must be a string, number or bool, got ${describe(key)}`);
    return key as PickleKey;
  };
  const int = (value: bigint): number | bigint =>
    value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  const long = (raw: Uint8Array): number | bigint => {
    // Little-endian two's complement of any length.
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
    if (raw.length > 0 && raw[raw.length - 1] & 0x80) value -= 1n << BigInt(8 * raw.length);
    return int(value);
  };
  const global = (module: string, name: string): PickleGlobal => {
    const resolved = options.resolveGlobal(module, name);
    assert(resolved instanceof PickleGlobal, () => `${where}: resolveGlobal returned no PickleGlobal for ${module}.${name}`);
    return resolved;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case OP.PROTO: {
        const protocol = u8();
        assert(protocol <= HIGHEST_PROTOCOL, () => `${where}: pickle protocol ${protocol} is newer than ${HIGHEST_PROTOCOL}`);
        break;
      }
      case OP.FRAME: u64(); break; // framing only groups opcodes; the whole pickle is in memory anyway
      case OP.STOP: {
        const result = pop();
        assert(stack.length === 0 && marks.length === 0, () => `${where}: STOP at byte ${at} leaves ${stack.length} value(s) on the stack`);
        return result;
      }
      case OP.MARK: created(); marks.push(stack); stack = []; break; // a mark opens a new list
      case OP.POP: pop(); break;
      case OP.POP_MARK: popMark(); break;
      case OP.NONE: push(null); break;
      case OP.NEWTRUE: push(true); break;
      case OP.NEWFALSE: push(false); break;
      case OP.BININT: push(view.getInt32(field(4), true)); break;
      case OP.BININT1: push(u8()); break;
      case OP.BININT2: push(u16()); break;
      case OP.LONG1: push(long(take(u8()))); break;
      case OP.LONG4: push(long(take(u32()))); break;
      case OP.BINFLOAT: push(view.getFloat64(field(8), false)); break; // big-endian by spec
      case OP.BINUNICODE: push(text(u32())); break;
      case OP.SHORT_BINUNICODE: push(text(u8())); break;
      case OP.BINUNICODE8: push(text(u64())); break;
      case OP.BINBYTES: push(take(u32())); break;
      case OP.SHORT_BINBYTES: push(take(u8())); break;
      case OP.BINBYTES8: push(take(u64())); break;
      case OP.EMPTY_LIST: push([]); break;
      case OP.APPEND: { const item = pop(); expectList(top()).push(item); break; }
      case OP.APPENDS: {
        const items = popMark();
        const list = expectList(top());
        for (const item of items) list.push(item);
        break;
      }
      case OP.EMPTY_TUPLE: push([]); break;
      case OP.TUPLE: case OP.LIST: {
        const items = popMark(); // before touching `stack`: popMark switches it back to the enclosing one
        push(items);
        break;
      }
      case OP.TUPLE1: push([pop()]); break;
      case OP.TUPLE2: { const b = pop(); push([pop(), b]); break; }
      case OP.TUPLE3: { const c = pop(); const b = pop(); push([pop(), b, c]); break; }
      case OP.EMPTY_DICT: push(new Map()); break;
      case OP.SETITEM: { const value = pop(); const key = pop(); setItems(top(), [key, value]); break; }
      case OP.SETITEMS: { const items = popMark(); setItems(top(), items); break; }
      case OP.DICT: { const dict = new Map(); setItems(dict, popMark()); push(dict); break; }
      case OP.GLOBAL: { const module = line(); push(global(module, line())); break; }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        assert(typeof module === 'string' && typeof name === 'string',
          () => `${where}: STACK_GLOBAL at byte ${at} needs two strings, got ${describe(module)} and ${describe(name)}`);
        push(global(module, name));
        break;
      }
      // REDUCE is callable(*args); NEWOBJ is cls.__new__(cls, *args), which pickles write for class instances. Either
      // goes to the caller's own function for that global, never to anything the pickle names.
      case OP.REDUCE: case OP.NEWOBJ: {
        const name = op === OP.REDUCE ? 'REDUCE' : 'NEWOBJ';
        const args = pop();
        const callable = pop();
        assert(callable instanceof PickleGlobal && callable.call,
          () => `${where}: ${name} at byte ${at} cannot call ${describe(callable)}`);
        assert(Array.isArray(args), () => `${where}: ${name} at byte ${at} needs an argument tuple, got ${describe(args)}`);
        push(callable.call(args));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        // torch.save pickles a state dict (an OrderedDict) with its `_metadata` attribute (per-module version
        // numbers) as BUILD state. Attributes of a dict are not items, so they are dropped; anything else is refused.
        assert((top() instanceof Map && (state instanceof Map || state === null)) || options.acceptsState?.(top()) === true,
          () => `${where}: BUILD at byte ${at} may only set attributes of a dict, got ${describe(top())} with state ${describe(state)}`);
        break;
      }
      case OP.BINPERSID: push(options.persistentLoad(pop())); break;
      case OP.BINPUT: memo.set(u8(), top()); break;
      case OP.LONG_BINPUT: memo.set(u32(), top()); break;
      case OP.MEMOIZE: memo.set(memo.size, top()); break;
      case OP.BINGET: case OP.LONG_BINGET: {
        const index = op === OP.BINGET ? u8() : u32();
        assert(memo.has(index), () => `${where}: memo entry ${index} read at byte ${at} was never stored`);
        push(memo.get(index));
        break;
      }
      default:
        throw new Error(`${where}: unsupported opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}) `
          + `at byte ${at}; only the data opcodes torch.save uses for tensors and dicts are allowed`);
    }
  }
}

function describe(value: unknown): string {
  if (value instanceof PickleGlobal) return `${value.module}.${value.name}`;
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return `a list/tuple of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (value === null) return 'None';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
