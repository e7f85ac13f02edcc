import { assert, fmtShape } from '../../util/index.js';
import { overLimit, readerLimits } from '../index.js';
import { product } from '../../util/index.js';
import { type RawTensor, type SafetensorsDtype, dtypeItemSize } from '../safetensors/index.js';
import { PickleGlobal, restrictedUnpickle } from './restrictedUnpickle.js';
import { openZipArchive } from './zipArchive.js';

/**
 * Reads a `torch.save` checkpoint (the ZIP format of PyTorch >= 1.6) without executing anything from it:
 * `<prefix>/data.pkl` is read by {@link restrictedUnpickle}, which only rebuilds tensors, dicts, lists and
 * plain values, and each tensor's storage comes from `<prefix>/data/<key>`. The prefix is whatever folder the
 * writer chose (torch uses the file's stem), so it is found rather than assumed.
 */

export interface TorchCheckpointOptions {
  /** Take only this top-level entry of the checkpoint, e.g. `"state_dict"` or `"ema"`; keys are then relative to it. */
  entry?: string;
  /**
   * Objects of any class but tensors, dicts and lists (a training framework's hyper-parameter objects, say): 'refuse'
   * (the default) refuses the file at the first one; 'skip' stands an inert marker in for each — nothing is imported,
   * called or built — and lists it in `skipped`, so that the weights beside it can still be read.
   */
  foreignObjects?: 'refuse' | 'skip';
}

export interface TorchCheckpointContents {
  /** Every tensor, keyed by its path through nested dicts and lists joined with "." (`model.0.weight`). */
  tensors: Record<string, RawTensor>;
  /** Paths of the non-tensor values that were left out (epoch counters, hyper-parameters, names). */
  ignored: string[];
  /** With foreignObjects 'skip': each object not rebuilt, as `path (module.Class)`. */
  skipped: string[];
}

/** The legacy storage classes torch.save names in persistent ids, and the element type each holds. */
const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  DoubleStorage: 'F64', FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const MAX_COPY_BYTES = 2 ** 32 - 1;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** Pre-1.6 files open with the pickled magic number 0x1950a86a20f9469cfc6c (PROTO 2, LONG1 of 10 bytes). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

class TorchStorage {
  constructor(readonly dtype: SafetensorsDtype, readonly bytes: Uint8Array) {}
}

class RebuiltTensor {
  constructor(readonly tensor: RawTensor) {}
}

/** An object of a class outside the allowlist, not rebuilt: only its class's name is kept (foreignObjects 'skip'). */
class SkippedObject {
  constructor(readonly qualifiedName: string) {}
}

/**
 * Decodes a checkpoint held in memory. Contiguous tensors are zero-copy views into `bytes`, and views of one
 * storage share its bytes; strided views (transposes, slices, expands) are copied into row-major order.
 */
export function decodeTorchCheckpoint(bytes: Uint8Array, source: string, options: TorchCheckpointOptions = {}): TorchCheckpointContents {
  const where = `decodeTorchCheckpoint(${source})`;
  const startsWith = (magic: number[]) => magic.every((b, i) => bytes[i] === b);
  assert(!startsWith(LEGACY_MAGIC),
    () => `${where}: legacy (pre-1.6) torch.save format not supported; re-save with torch>=1.6 (torch.save(torch.load(path), path))`);
  assert(startsWith(ZIP_MAGIC),
    () => `${where}: not a torch.save file: expected a ZIP archive (bytes 50 4b 03 04), got ${hex(bytes.subarray(0, 4))}`);

  const archive = openZipArchive(bytes, source);
  const pickles = archive.names.filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  assert(pickles.length === 1,
    () => `${where}: expected exactly one <folder>/data.pkl in the archive, found ${pickles.length} among ${archive.names.slice(0, 8).join(', ')}`);
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  if (archive.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(archive.read(`${prefix}byteorder`));
    assert(order === 'little', () => `${where}: byte order "${order}" is not supported; only little-endian checkpoints are`);
  }

  const storages = new Map<string, TorchStorage>();
  const loadStorage = (pid: unknown): TorchStorage => {
    // torch.save's persistent id: ('storage', <storage class>, key, location, element count).
    assert(Array.isArray(pid) && pid.length === 5 && pid[0] === 'storage' && pid[1] instanceof PickleGlobal
      && typeof pid[2] === 'string' && Number.isSafeInteger(pid[4]),
      () => `${where}: unexpected persistent id ${JSON.stringify(pid, (_, v) => (v instanceof PickleGlobal ? `${v.module}.${v.name}`
        : typeof v === 'bigint' ? `${v}n` : v))}`);
    const [, type, key, , count] = pid as [string, PickleGlobal, string, unknown, number];
    const dtype = STORAGE_DTYPES[type.name];
    assert(type.module === 'torch' && dtype, () => `${where}: ${type.module}.${type.name} is not a storage class`);
    const cached = storages.get(key);
    if (cached) return cached;
    const name = `${prefix}data/${key}`;
    assert(archive.has(name), () => `${where}: storage "${key}" is missing (no entry ${name})`);
    const storage = new TorchStorage(dtype, archive.read(name));
    assert(storage.bytes.byteLength === count * dtypeItemSize(dtype),
      () => `${where}: storage "${key}" holds ${storage.bytes.byteLength} bytes, ${count} ${dtype} elements need ${count * dtypeItemSize(dtype)}`);
    storages.set(key, storage);
    return storage;
  };

  const skip = options.foreignObjects === 'skip';
  const root = restrictedUnpickle(archive.read(pickles[0]), {
    source: `${source}:${pickles[0]}`,
    resolveGlobal: (module, name) => resolveGlobal(module, name, where, skip),
    persistentLoad: loadStorage,
    acceptsState: (target) => target instanceof SkippedObject,
  });

  let selected = root;
  if (options.entry !== undefined) {
    assert(root instanceof Map && root.has(options.entry),
      () => `${where}: no top-level entry "${options.entry}"; the checkpoint has ${root instanceof Map ? [...root.keys()].map((k) => `"${String(k)}"`).join(', ') : describe(root)}`);
    selected = root.get(options.entry);
  }
  assert(selected instanceof Map,
    () => `${where}: expected a dict of tensors${options.entry === undefined ? '' : ` under "${options.entry}"`}, got ${describe(selected)}`);
  const contents: TorchCheckpointContents = { tensors: {}, ignored: [], skipped: [] };
  flatten(selected, '', contents, where);
  return contents;
}

/**
 * The allowlist: the globals a checkpoint of tensors and dicts needs, each rebuilt by code written here. Any other is
 * refused, or with `skip` stands for inert markers: calling or instantiating it gives a SkippedObject naming it.
 */
function resolveGlobal(module: string, name: string, where: string, skip: boolean): PickleGlobal {
  const qualified = `${module}.${name}`;
  switch (qualified) {
    case 'collections.OrderedDict':
      return new PickleGlobal(module, name, (args) => {
        assert(args.length === 0, () => `${where}: collections.OrderedDict called with ${args.length} argument(s); expected none`);
        return new Map();
      });
    case 'torch._utils._rebuild_tensor_v2':
      return new PickleGlobal(module, name, (args) => rebuildTensor(args, where));
    case 'torch._utils._rebuild_parameter':
      return new PickleGlobal(module, name, (args) => {
        assert(args[0] instanceof RebuiltTensor, () => `${where}: ${qualified} expects a tensor, got ${describe(args[0])}`);
        return args[0];
      });
  }
  if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new PickleGlobal(module, name);
  if (skip) return new PickleGlobal(module, name, () => new SkippedObject(qualified));
  throw new Error(`${where}: refusing to load ${qualified}: only tensors and dicts are allowed`);
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: unknown[], where: string): RebuiltTensor {
  const [storage, offset, size, stride] = args;
  const isIndexList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
  assert(storage instanceof TorchStorage && Number.isSafeInteger(offset) && (offset as number) >= 0
    && isIndexList(size) && isIndexList(stride) && size.length === stride.length,
    () => `${where}: _rebuild_tensor_v2 expects (storage, offset, size, stride), got (${args.slice(0, 4).map(describe).join(', ')})`);
  const { dtype } = storage;
  return new RebuiltTensor({ dtype, shape: [...size], data: viewBytes(storage, offset as number, size, stride, where) });
}

/** The bytes of the strided view, row-major: a zero-copy slice when the view is contiguous, a copy otherwise. */
function viewBytes(storage: TorchStorage, offset: number, size: number[], stride: number[], where: string): Uint8Array {
  const itemSize = dtypeItemSize(storage.dtype);
  const count = product(size);
  if (count === 0) return new Uint8Array(0);
  const available = storage.bytes.byteLength / itemSize;
  const last = size.reduce((at, n, d) => at + (n - 1) * stride[d], offset);
  assert(last < available,
    () => `${where}: tensor ${fmtShape(size)} with stride ${fmtShape(stride)} at offset ${offset} reaches element ${last} of a ${available}-element storage`);

  let contiguous = true;
  for (let d = size.length - 1, expected = 1; d >= 0; expected *= size[d], d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
  }
  if (contiguous) return storage.bytes.subarray(offset * itemSize, (offset + count) * itemSize);

  // An expanded view (stride 0) can describe far more elements than its storage holds; refuse sizes no
  // typed array can hold with a clear message instead of a RangeError from deep inside.
  assert(count * itemSize <= MAX_COPY_BYTES,
    () => `${where}: strided tensor ${fmtShape(size)} would need ${count * itemSize} bytes as a contiguous copy, more than ${MAX_COPY_BYTES}`);
  const out = new Uint8Array(count * itemSize);
  const index = new Array<number>(size.length).fill(0);
  let element = offset;
  for (let n = 0; n < count; n++) {
    out.set(storage.bytes.subarray(element * itemSize, (element + 1) * itemSize), n * itemSize);
    // Advance the multi-index like an odometer, last axis fastest.
    for (let d = size.length - 1; d >= 0; d--) {
      element += stride[d];
      if (++index[d] < size[d]) break;
      element -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Bounds on the walk over the unpickled dicts and lists. A pickle keeps shared objects shared (a memo reference is
 * one object), but every path to a shared object is a key of the flat result, so a kilobyte of references to
 * references expands to billions of keys; and a dict can hold itself. A state dict has one entry per tensor and
 * nests a few levels.
 */
export const MAX_CHECKPOINT_DEPTH = 32;

function flatten(root: unknown, prefix: string, into: TorchCheckpointContents, where: string): void {
  let visited = 0;
  const maxEntries = readerLimits().checkpointEntries;
  const open = new Set<unknown>();
  const walk = (value: unknown, path: string, depth: number): void => {
    assert(++visited <= maxEntries, () => overLimit(where, 'checkpointEntries',
      'its dicts and lists expand to more entries (references shared many times over); a state dict has one per tensor'));
    assert(depth <= MAX_CHECKPOINT_DEPTH, () => `${where}: its dicts and lists nest more than ${MAX_CHECKPOINT_DEPTH} levels deep `
      + `(at "${path.slice(0, 60)}…"); a state dict nests a few`);
    if (value instanceof RebuiltTensor) {
      assert(!Object.hasOwn(into.tensors, path) && path !== '__proto__',
        () => `${where}: two tensors would be stored under the key "${path}"`);
      into.tensors[path] = value.tensor;
      return;
    }
    if (value instanceof SkippedObject || (value instanceof PickleGlobal && !(value.module === 'torch' && Object.hasOwn(STORAGE_DTYPES, value.name)))) {
      into.skipped.push(`${path} (${value instanceof SkippedObject ? value.qualifiedName : `${value.module}.${value.name}`})`);
      return;
    }
    if (!(value instanceof Map) && !Array.isArray(value)) {
      into.ignored.push(path);
      return;
    }
    assert(!open.has(value), () => `${where}: "${path.slice(0, 60)}" contains itself`);
    open.add(value);
    const entries: [unknown, unknown][] = value instanceof Map ? [...value] : value.map((item, i) => [i, item]);
    for (const [key, item] of entries) walk(item, path === '' ? String(key) : `${path}.${String(key)}`, depth + 1);
    open.delete(value);
  };
  walk(root, prefix, 0);
}

function describe(value: unknown): string {
  if (value instanceof SkippedObject) return `a ${value.qualifiedName} (not rebuilt)`;
  if (value instanceof RebuiltTensor) return `a tensor ${value.tensor.dtype} ${fmtShape(value.tensor.shape)}`;
  if (value instanceof TorchStorage) return `a ${value.dtype} storage`;
  if (value instanceof PickleGlobal) return `${value.module}.${value.name}`;
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return `a list/tuple of ${value.length}`;
  if (value === null || value === undefined) return 'None';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'an empty file';
}
