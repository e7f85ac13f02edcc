// The fuzzer's worker (see fuzz.mjs; it runs under tsx, on the sources): builds valid files for each reader, mutates
// one by (seed, reader, index) and reports how the reader took it. Every input is a pure function of those three
// numbers, so any one can be re-run. Mutations know each format's structure, so that they reach past its first
// check: NIfTI header fields are set to edge values, gzip wraps a mutated image, ZIP archives are rebuilt around a
// mutated pickle or storage, safetensors and run.json files are re-serialised from a mutated JSON tree (with a
// matching checksum and header length), pickles get opcodes inserted; plain byte edits remain one of the mutations.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildZip } from '../test-fixtures/pytorch/buildZip.ts';
import { parseManifest } from '../src/data/index.ts';
import { encodeNifti, parseNifti, parseNiftiHeader, readNifti, readNiftiHeader, verifyNiftiData } from '../src/io/nifti/index.ts';
import { decodeTorchCheckpoint, loadTorchCheckpoint } from '../src/io/pytorch/index.ts';
import { openZipArchive } from '../src/io/pytorch/zipArchive.ts';
import { PickleGlobal, restrictedUnpickle } from '../src/io/pytorch/restrictedUnpickle.ts';
import { checkRawTensor, decodeSafetensors, encodeSafetensors, loadSafetensors, nonFiniteElements } from '../src/io/safetensors/index.ts';
import { configDifferences, configHash, describeOrigin, readAnyRunConfig } from '../src/runs/index.ts';
import { mulberry32 } from '../src/util/index.ts';

export const READERS = ['nifti', 'nifti.gz', 'safetensors', 'torch', 'zip', 'pickle', 'run.json', 'manifest', 'paths'];

const fixture = (path) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../test-fixtures/${path}`, import.meta.url))));
const text = (s) => new TextEncoder().encode(s);
const workDir = mkdtempSync(join(tmpdir(), 'mrsynth-fuzz-'));
process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));

/** A random source for one input, with the helpers every mutator uses. */
function randomSource(seed) {
  const random = mulberry32(seed);
  const int = (n) => Math.floor(random() * n);
  const pick = (list) => list[int(list.length)];
  return { random, int, pick };
}

// ---- plain byte edits -----------------------------------------------------------------------------------------

/** One to four edits of `bytes`; half of them fall in `hot` ([start, end): where the format's structure is). */
function byteEdits(bytes, r, hot = [0, Math.min(544, bytes.length)]) {
  let out = new Uint8Array(bytes);
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const [start, end] = [Math.min(hot[0], out.length - 1), Math.min(hot[1], out.length)];
    const at = r.random() < 0.5 && end > start ? start + r.int(end - start) : r.int(out.length);
    const kind = r.random();
    if (kind < 0.3) out[at] ^= 1 << r.int(8);
    else if (kind < 0.55) out[at] = r.pick([0, 0xff, 0x7f, 0x80, 0x01, 0x20, 0x22, 0x5b, 0x7b]);
    else if (kind < 0.7) out.set([0xff, 0xff, 0xff, 0x7f].slice(0, Math.min(4, out.length - at)), at);
    else if (kind < 0.8) out = out.slice(0, at);
    else if (kind < 0.9) out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(r.int(out.length))]);
    else out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at, at + r.int(64)), ...out.subarray(at)]);
  }
  return out;
}

// ---- NIfTI: header fields set to edge values --------------------------------------------------------------------

/** [name, byte offset, type, count] of the fields that steer a NIfTI-1 and a NIfTI-2 reader. */
const NIFTI_FIELDS = {
  1: [['sizeof_hdr', 0, 'i32', 1], ['dim', 40, 'i16', 8], ['datatype', 70, 'i16', 1], ['bitpix', 72, 'i16', 1],
    ['pixdim', 76, 'f32', 8], ['vox_offset', 108, 'f32', 1], ['scl_slope', 112, 'f32', 1], ['scl_inter', 116, 'f32', 1],
    ['xyzt_units', 123, 'u8', 1], ['descrip', 148, 'u8', 80], ['qform_code', 252, 'i16', 1], ['sform_code', 254, 'i16', 1],
    ['quatern', 256, 'f32', 6], ['srow', 280, 'f32', 12], ['intent_name', 328, 'u8', 16], ['magic', 344, 'u8', 4], ['extension', 348, 'u8', 4]],
  2: [['sizeof_hdr', 0, 'i32', 1], ['magic', 4, 'u8', 8], ['datatype', 12, 'i16', 1], ['bitpix', 14, 'i16', 1],
    ['dim', 16, 'i64', 8], ['pixdim', 104, 'f64', 8], ['vox_offset', 168, 'i64', 1], ['scl_slope', 176, 'f64', 1],
    ['scl_inter', 184, 'f64', 1], ['descrip', 240, 'u8', 80], ['qform_code', 344, 'i32', 1], ['sform_code', 348, 'i32', 1],
    ['quatern', 352, 'f64', 6], ['srow', 400, 'f64', 12], ['xyzt_units', 500, 'i32', 1], ['intent_name', 508, 'u8', 16], ['extension', 540, 'u8', 4]],
};
const DATATYPES = [2, 4, 8, 16, 64, 256, 512, 768, 1024, 1280, 128, 32, 1536, 1792, 2048, 2304, 0, 3, 511];
const EDGE_INTS = [0, 1, -1, 2, 3, 4, 7, 8, 9, 348, 352, 540, 544, 1000, 32767, -32768, 65535, 2 ** 31 - 1, -(2 ** 31)];
const EDGE_FLOATS = [0, -0, 1, -1, 0.5, 2, 1e-30, 1e30, 3.4e38, -3.4e38, 1e300, NaN, Infinity, -Infinity, 352, 348.5];

function mutateNifti(bytes, r) {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  const version = view.getInt32(0, true) === 540 || view.getInt32(0, false) === 540 ? 2 : 1;
  const little = view.getInt32(0, true) === (version === 1 ? 348 : 540);
  const edits = 1 + r.int(3);
  for (let e = 0; e < edits; e++) {
    if (r.random() < 0.2) return byteEdits(out, r);
    const [name, offset, type, count] = r.pick(NIFTI_FIELDS[version]);
    const at = offset + r.int(count) * { i16: 2, i32: 4, i64: 8, f32: 4, f64: 8, u8: 1 }[type];
    if (at + 8 > out.length) continue;
    const integer = name === 'datatype' ? r.pick(DATATYPES) : name === 'dim' && at === offset ? r.int(10) : r.pick(EDGE_INTS);
    switch (type) {
      case 'u8': out[at] = r.pick([0, 0x20, 0x7f, 0xff, 0x6e, 0x2b, 0x31, 0x32, 0x01]); break;
      case 'i16': view.setInt16(at, Math.max(-32768, Math.min(32767, integer)), little); break;
      case 'i32': view.setInt32(at, integer | 0, little); break;
      case 'i64': view.setBigInt64(at, BigInt(r.random() < 0.1 ? r.pick([2 ** 53, -(2 ** 40), 2 ** 62]) : integer), little); break;
      case 'f32': view.setFloat32(at, r.pick(EDGE_FLOATS), little); break;
      case 'f64': view.setFloat64(at, r.pick(EDGE_FLOATS), little); break;
    }
  }
  return out;
}

const NIFTI_FIXTURES = ['dtype-int8.nii', 'dtype-uint8.nii', 'dtype-int16.nii', 'dtype-uint16.nii', 'dtype-int32.nii', 'dtype-uint32.nii',
  'dtype-int64.nii', 'dtype-float32.nii', 'dtype-float64.nii', 'big-endian.nii', 'no-codes.nii', 'qform-180.nii', 'sform-qform.nii',
  'extension.nii', 'multi-volume.nii', 'nifti2-big-endian.nii', 'nifti2.nii.gz', 'scaled-int16.nii.gz', 'qfac-negative.nii.gz', 'singleton-4d.nii.gz'];
const niftiBases = NIFTI_FIXTURES.map((name) => {
  const bytes = fixture(`nifti/${name}`);
  return name.endsWith('.gz') ? new Uint8Array(gunzipSync(bytes)) : bytes;
});
niftiBases.push(encodeNifti({
  data: Float32Array.from({ length: 60 }, (_, i) => (i * 37) % 101 - 50), shape: [5, 4, 3],
  affine: Float64Array.from([-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]),
}, { version: 2, littleEndian: true, datatype: 'float32' }));

function checkImage(image) {
  if (!image.volume.affine.every(Number.isFinite)) throw new TypeError('accepted with a non-finite affine');
  return true;
}

// ---- ZIP and pickles: rebuilt around mutated entries ------------------------------------------------------------

const torchBases = ['state_dict.pt', 'checkpoint.pt', 'checkpoint-protocol4.pt'].map((name) => fixture(`pytorch/${name}`));
const torchBase = torchBases[0];
const torchEntries = torchBases.map((bytes) => {
  const archive = openZipArchive(bytes, 'base.pt');
  return archive.names.map((name) => ({ name, data: new Uint8Array(archive.read(name)) }));
});
const pickleBases = [...torchEntries.map((entries) => entries.find((e) => e.name.endsWith('data.pkl')).data),
  fixture('pytorch/plain-protocol2.pkl'), fixture('pytorch/plain-protocol5.pkl')];
const PICKLE_OPS = [0x80, 0x95, 0x2e, 0x28, 0x30, 0x31, 0x4e, 0x88, 0x89, 0x4a, 0x4b, 0x4d, 0x8a, 0x8b, 0x47, 0x58, 0x8c, 0x8d, 0x42, 0x43,
  0x8e, 0x5d, 0x61, 0x65, 0x6c, 0x29, 0x74, 0x85, 0x86, 0x87, 0x7d, 0x73, 0x75, 0x64, 0x63, 0x93, 0x52, 0x62, 0x51, 0x71, 0x72, 0x94,
  0x68, 0x6a, 0x49, 0x56, 0x2a];
const GLOBAL_NAMES = ['collections\nOrderedDict\n', 'torch._utils\n_rebuild_tensor_v2\n', 'torch._utils\n_rebuild_parameter\n',
  'torch\nFloatStorage\n', 'torch\nHalfStorage\n', 'os\nsystem\n', 'builtins\neval\n', 'torch\nNoStorage\n', 'x\n'];

/** Inserts, replaces or deletes opcodes (with plausible argument bytes), or edits bytes. */
function mutatePickle(bytes, r) {
  let out = bytes;
  const edits = 1 + r.int(3);
  for (let e = 0; e < edits; e++) {
    const at = r.int(out.length + 1);
    const kind = r.random();
    if (kind < 0.5) {
      const op = r.pick(PICKLE_OPS);
      const args = op === 0x63 ? [...text(r.pick(GLOBAL_NAMES))] : Array.from({ length: r.pick([0, 1, 1, 2, 4, 8]) }, () => r.pick([0, 1, 2, 5, 0x7f, 0xff, r.int(256)]));
      out = Uint8Array.from([...out.subarray(0, at), op, ...args, ...out.subarray(at)]);
    } else if (kind < 0.7 && at < out.length) {
      out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(Math.min(out.length, at + 1 + r.int(8)))]);
    } else {
      out = byteEdits(out, r, [0, out.length]);
    }
  }
  return out;
}

function mutateTorch(r) {
  const entries = r.pick(torchEntries).map((e) => ({ ...e }));
  const choice = r.random();
  if (choice < 0.15) {
    const base = r.pick(torchBases);
    return byteEdits(base, r, [Math.max(0, base.length - 600), base.length]);
  }
  const target = choice < 0.6 ? entries.find((e) => e.name.endsWith('data.pkl')) : r.pick(entries);
  if (choice < 0.6) target.data = mutatePickle(target.data, r);
  else if (choice < 0.75) target.data = target.data.slice(0, r.int(target.data.length + 1));
  else if (choice < 0.85) target.name = r.pick(['x/data.pkl', `${target.name}/`, 'archive/data/9', 'archive/byteorder', target.name.toUpperCase()]);
  else if (choice < 0.92) entries.push({ name: r.pick(['archive/byteorder', 'b/data.pkl', 'archive/data/0']), data: text(r.pick(['big', 'little', ''])) });
  else entries.splice(r.int(entries.length), 1);
  for (const entry of entries) entry.deflate = r.random() < 0.3;
  return buildZip(entries, { zip64: r.random() < 0.3 });
}

const zipBases = [torchBase, buildZip([{ name: 'a/data.pkl', data: text('pickle'), deflate: true },
  { name: 'a/data/0', data: Uint8Array.from({ length: 300 }, (_, i) => i % 7), deflate: true }, { name: 'a/empty', data: new Uint8Array(0) }], { zip64: true })];

function mutateZip(r) {
  const base = r.pick(zipBases);
  const view = new DataView(base.buffer, base.byteOffset, base.byteLength);
  let directory = base.length - 22;
  while (directory > 0 && view.getUint32(directory, true) !== 0x02014b50) directory -= 1;
  if (r.random() < 0.5) return byteEdits(base, r, [Math.max(0, directory - 200), base.length]);
  // Overwrite one 16-, 32- or 64-bit field of a central-directory, ZIP64 or end record with an edge value.
  const out = new Uint8Array(base);
  const at = Math.max(0, directory - 80) + r.int(base.length - Math.max(0, directory - 80));
  const size = r.pick([2, 4, 8]);
  const value = r.pick([0, 1, 2, 0xffff, 0xffffffff, 2 ** 53, base.length, base.length - 22, 0x06054b50, 0x07064b50, 0x06064b50, 8, 12]);
  const dv = new DataView(out.buffer);
  if (at + size > out.length) return out;
  if (size === 2) dv.setUint16(at, value & 0xffff, true);
  else if (size === 4) dv.setUint32(at, value >>> 0, true);
  else dv.setBigUint64(at, BigInt(value), true);
  return out;
}

const allowedGlobals = (module, name) => new PickleGlobal(module, name, module === 'collections' ? () => new Map() : (args) => args);

// ---- JSON formats: mutated trees, re-serialised ---------------------------------------------------------------

const EDGE_JSON = [null, true, false, 0, -1, 1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '', 'x', '-1', '../x', '/etc/passwd', 'NaN', [], [1, 2],
  [[[]]], {}, { a: 1 }, 'F32', 'BF16', 'trained', 'imported', 'sample', 'epsilon', 'linear', 'cosine', 'keyed', 'sequential', 't1', 'seg'];

/** Every [container, key] in a JSON tree. */
function slots(tree, out = []) {
  if (tree !== null && typeof tree === 'object') {
    for (const key of Object.keys(tree)) {
      out.push([tree, Array.isArray(tree) ? Number(key) : key]);
      slots(tree[key], out);
    }
  }
  return out;
}

/** One to three structural edits: a value replaced by an edge value or a sibling's, a key deleted, renamed or added. */
function mutateTree(tree, r, extraKeys = []) {
  const edits = 1 + r.int(3);
  for (let e = 0; e < edits; e++) {
    const all = slots(tree);
    if (all.length === 0) break;
    const [container, key] = r.pick(all);
    const kind = r.random();
    if (kind < 0.5) container[key] = structuredClone(r.pick(EDGE_JSON));
    else if (kind < 0.65) {
      const [other, otherKey] = r.pick(all);
      container[key] = structuredClone(other[otherKey] ?? null);
    } else if (kind < 0.8 && !Array.isArray(container)) delete container[key];
    else if (kind < 0.9 && !Array.isArray(container)) {
      // defineProperty, so that "__proto__" becomes a key of the JSON rather than the object's prototype.
      Object.defineProperty(container, r.pick([...extraKeys, 'extra', '__proto__', 'constructor']),
        { value: structuredClone(r.pick(EDGE_JSON)), enumerable: true, writable: true, configurable: true });
    }
    else if (Array.isArray(container)) container.push(structuredClone(r.pick(EDGE_JSON)));
  }
  return tree;
}

const safetensorsBase = Buffer.concat(encodeSafetensors({
  weight: { dtype: 'F32', shape: [2, 3], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
  bias: { dtype: 'BF16', shape: [3], data: new Uint8Array(6) },
  step: { dtype: 'I64', shape: [], data: new Uint8Array(8) },
  half: { dtype: 'F16', shape: [2], data: new Uint8Array([0, 0x7c, 0, 0x3c]) },
}, { format: 'x', step: '3' }, { checksum: true }));

function mutateSafetensors(r) {
  if (r.random() < 0.25) return byteEdits(safetensorsBase, r, [0, 200]);
  const headerLength = Number(new DataView(safetensorsBase.buffer, safetensorsBase.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(safetensorsBase.subarray(8, 8 + headerLength)));
  let data = new Uint8Array(safetensorsBase.subarray(8 + headerLength));
  mutateTree(header, r, ['dtype', 'shape', 'data_offsets', '__metadata__', 'mrsynth_data_sha256']);
  if (r.random() < 0.2) data = r.random() < 0.5 ? data.slice(0, r.int(data.length)) : Uint8Array.from([...data, ...new Uint8Array(1 + r.int(16))]);
  if (r.random() < 0.2) data[r.int(data.length)] ^= 0xff;
  // The checksum is kept consistent with the (mutated) data most of the time, so that what lies behind it is reached.
  if (r.random() < 0.8 && header.__metadata__ !== null && typeof header.__metadata__ === 'object' && !Array.isArray(header.__metadata__)) {
    header.__metadata__.mrsynth_data_sha256 = createHash('sha256').update(data).digest('hex');
  }
  let json = JSON.stringify(header);
  if (r.random() < 0.05) json = json.replace('{', '{"bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},');
  const padded = text(json.padEnd(Math.ceil(json.length / 8) * 8 + (r.random() < 0.1 ? 3 : 0), ' '));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(r.random() < 0.05 ? padded.length + r.pick([-1, 1, 8]) : padded.length), true);
  return Uint8Array.from([...length, ...padded, ...data]);
}

const runJsonBases = (() => {
  const common = {
    format: 'mrsynth-run', formatVersion: 2, method: 'cwdm', target: 't1ce', conditions: ['t1', 't2', 'flair'],
    methodConfig: { conditions: 3, modelChannels: 4, channelMult: [1, 2, 2], numResBlocks: 1, numGroups: 2, dropout: 0 },
    weights: { unet: 'weights.safetensors' }, preprocess: 'cwdm',
    schedule: { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' },
    createdWith: { mrsynth: '0.2.0', libtorch: '1.13.0' },
  };
  const training = { lr: 0.001, weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 3, steps: 10, randomStreams: 'keyed' };
  return [
    { ...common, training, data: { path: '/data', splitSeed: 0 } },
    {
      ...common, weights: { unet: 'weights.safetensors', codec: 'codec.safetensors' },
      parent: { path: '../stage1', configHash: '0123456789abcdef', weights: { 'codec.safetensors': 'a'.repeat(64) } },
      training: { ...training, gradClip: 1, precision: 'bf16', lrDecay: { shape: 'cosine', from: 2, to: 8, final: 0.0001 },
        cadence: { checkpointEvery: 5, valEvery: 5, valTriples: 2, valSampleSteps: 0 } },
      data: { path: '/data', splitSeed: 1, voxelSize: [1, 1, 1] },
    },
    { ...common, origin: { kind: 'imported', from: 'pytorch', source: 'brats.pt', sourceSha256: 'b'.repeat(64), sourcePrefix: 'model.' } },
    { format: 'mrsynth-run', formatVersion: 1, model: 'cwdm', target: 't1ce', conditions: ['t1', 't2', 'flair'],
      modelConfig: common.methodConfig, preprocess: 'cwdm', schedule: { betaSchedule: 'linear', numTrainTimesteps: 1000 },
      training: { lr: 0.001, weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 3, steps: 10 }, data: { path: '/data', splitSeed: 0 },
      createdWith: common.createdWith },
  ];
})();

function mutateRunJson(r) {
  const base = r.pick(runJsonBases);
  if (r.random() < 0.15) return byteEdits(text(JSON.stringify(base, null, 1)), r, [0, 2000]);
  return text(JSON.stringify(mutateTree(structuredClone(base), r, ['origin', 'parent', 'training', 'data', 'model', 'modelConfig']), null, 1));
}

const MANIFEST_BASES = [
  text('case,subject,t1,t1ce,t2,flair\nc1,s1,a/t1.nii.gz,a/t1ce.nii.gz,a/t2.nii.gz,a/flair.nii.gz\nc2,s2,b/t1.nii,b/t1ce.nii,b/t2.nii,b/flair.nii\n'),
  text('case,T1,T1c,T2w,FLAIR,seg\nc1,/x/t1.nii,/x/t1c.nii,/x/t2.nii,/x/f.nii,/x/seg.nii\n'),
  text(JSON.stringify([{ case: 'c1', t1: 'a.nii', t2: 'b.nii' }, { case: 'c2', subject: 's', t1: 'c.nii', t2: 'd.nii', seg: 'e.nii' }])),
];

function mutateManifest(r) {
  const base = r.pick(MANIFEST_BASES);
  if (base[0] === 0x5b && r.random() < 0.6) return text(JSON.stringify(mutateTree(JSON.parse(new TextDecoder().decode(base)), r, ['case', 'subject', 't1', 'seg'])));
  if (r.random() < 0.4) {
    const cells = new TextDecoder().decode(base).split(/([,\n])/);
    const at = r.int(cells.length);
    cells[at] = r.pick(['', 'case', 't1', 'T1', 'seg', 'c1', '"', '""', 'a,b', '\r', '../../etc/passwd', 'x'.repeat(300), '\u0000']);
    return text(cells.join(''));
  }
  return byteEdits(base, r, [0, base.length]);
}

// ---- paths: what a user or a manifest can point a reader at -------------------------------------------------------

const pathsDir = join(workDir, 'paths');
const SPECIAL_PATHS = (() => {
  mkdirSync(pathsDir);
  const at = (name) => join(pathsDir, name);
  writeFileSync(at('empty.nii'), new Uint8Array(0));
  writeFileSync(at('tiny.nii'), niftiBases[0].subarray(0, 100));
  writeFileSync(at('good.nii'), niftiBases[0]);
  writeFileSync(at('good.nii.gz'), gzipSync(niftiBases[0]));
  writeFileSync(at('good.pt'), torchBase);
  writeFileSync(at('good.safetensors'), safetensorsBase);
  writeFileSync(at('text.nii'), 'not an image\n');
  mkdirSync(at('folder.nii'));
  symlinkSync('/dev/zero', at('zero.nii'));
  symlinkSync(at('good.nii'), at('link.nii'));
  symlinkSync(at('missing.nii'), at('dangling.nii'));
  symlinkSync(at('loop-b.nii'), at('loop-a.nii'));
  symlinkSync(at('loop-a.nii'), at('loop-b.nii'));
  execFileSync('mkfifo', [at('fifo.nii')]);
  return [...readdirSync(pathsDir).map(at), at('missing.nii'), at('good.nii/child'), `${at('good.nii')}/`, at('x'.repeat(300)),
    `${at('good')}\u0000.nii`, '', '/', '/proc/self/mem', '/dev/null', '/dev/stdin', at('folder.nii/..//good.nii')];
})();
const PATH_READERS = [
  readNifti, readNiftiHeader, verifyNiftiData, (path) => loadTorchCheckpoint(path), (path) => loadSafetensors(path),
];

// ---- the readers --------------------------------------------------------------------------------------------------

/** Per reader: the name errors must quote, how to make input `r` and how to read it (true: got past the first check). */
const TARGETS = {
  nifti: {
    name: 'fuzz-input.nii', make: (r) => mutateNifti(r.pick(niftiBases), r),
    read: (bytes, name) => { parseNiftiHeader(bytes, name); pastHeader = true; return checkImage(parseNifti(bytes, name)); },
  },
  'nifti.gz': {
    name: 'fuzz-input.nii.gz',
    make: (r) => (r.random() < 0.75 ? gzipSync(mutateNifti(r.pick(niftiBases), r)) : byteEdits(gzipSync(r.pick(niftiBases)), r, [0, 64])),
    read: (bytes, name) => { parseNiftiHeader(bytes, name); pastHeader = true; return checkImage(parseNifti(bytes, name)); },
  },
  safetensors: {
    name: 'fuzz-input.safetensors', make: mutateSafetensors,
    read: (bytes, name) => {
      pastHeader = jsonObjectAt(bytes.subarray(8, 8 + Number(bytes.length >= 8 ? new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true) : 0n)));
      const { tensors } = decodeSafetensors(bytes, name);
      for (const [key, tensor] of Object.entries(tensors)) { checkRawTensor(tensor, `${name}: ${key}`); nonFiniteElements(tensor); }
      return true;
    },
  },
  torch: {
    name: 'fuzz-input.pt', make: mutateTorch,
    read: (bytes, name) => { openZipArchive(bytes, name); pastHeader = true; decodeTorchCheckpoint(bytes, name); return true; },
  },
  zip: {
    name: 'fuzz-input.zip', make: mutateZip,
    read: (bytes, name) => {
      const archive = openZipArchive(bytes, name);
      pastHeader = true;
      for (const entry of archive.names) archive.read(entry);
      return true;
    },
  },
  pickle: {
    name: 'fuzz-input.pkl', make: (r) => mutatePickle(r.pick(pickleBases), r),
    read: (bytes, name) => {
      pastHeader = bytes[0] === 0x80;
      restrictedUnpickle(bytes, { source: name, resolveGlobal: allowedGlobals, persistentLoad: (pid) => pid });
      return true;
    },
  },
  'run.json': {
    name: join(workDir, 'run', 'run.json'), make: mutateRunJson,
    read: async (bytes, name) => {
      mkdirSync(join(workDir, 'run'), { recursive: true });
      writeFileSync(name, bytes);
      pastHeader = jsonObjectAt(bytes);
      const config = await readAnyRunConfig(join(workDir, 'run'));
      // What `mrsynth info` and a resume do with an accepted config.
      configHash(config);
      describeOrigin(config);
      configDifferences(config, config);
      return true;
    },
  },
  manifest: {
    name: 'fuzz-manifest.csv', make: mutateManifest,
    read: (bytes, name) => {
      const textual = new TextDecoder().decode(bytes);
      pastHeader = textual.startsWith('[') ? jsonObjectAt(bytes, Array) : /^[^\n]*\bcase\b/i.test(textual);
      parseManifest(textual, { kind: textual.startsWith('[') ? 'json' : 'csv', source: name, baseDir: '/data' });
      return true;
    },
  },
  paths: {
    name: undefined, make: (r) => ({ path: r.pick(SPECIAL_PATHS), reader: r.int(PATH_READERS.length) }),
    read: async ({ path, reader }) => { pastHeader = true; await PATH_READERS[reader](path); return true; },
  },
};

let pastHeader = false;

/** Whether `bytes` are JSON of the given kind: how far a JSON format's reader got past its first check. */
function jsonObjectAt(bytes, kind = Object) {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes));
    return kind === Array ? Array.isArray(value) : value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The mutated input `index` of `reader` under `seed`. */
export function input(reader, index, seed) {
  return TARGETS[reader].make(randomSource((seed * 1_000_003 + READERS.indexOf(reader) * 7919 + index * 2_654_435_761) >>> 0));
}

async function classify(reader, index, seed) {
  const target = TARGETS[reader];
  pastHeader = false;
  const made = input(reader, index, seed);
  // An error must quote the file it is about: the input's name, or for `paths` the path itself (a nameless path
  // like '' must still be shown somehow, as quotes).
  const name = target.name ?? made.path;
  try {
    await target.read(made, name);
    return { outcome: 'accepted', deep: pastHeader };
  } catch (error) {
    if (!(error instanceof Error) || error instanceof TypeError || error instanceof RangeError) {
      return { outcome: 'exception', detail: `${error?.constructor?.name}: ${String(error?.message ?? error).slice(0, 200)}` };
    }
    const named = name === '' ? /""|''|empty path/.test(error.message) : error.message.includes(name.replace('\u0000', '\\u0000')) || error.message.includes(name);
    return named ? { outcome: 'error', deep: pastHeader } : { outcome: 'unnamed', detail: `${JSON.stringify(name).slice(0, 80)}: ${error.message.slice(0, 200)}` };
  }
}

if (process.send !== undefined) {
  process.on('message', async ({ reader, index, seed }) => process.send(await classify(reader, index, seed)));
  process.send({ ready: true });
}
