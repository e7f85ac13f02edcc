// The fuzzer's worker (see fuzz.mjs): builds valid files for each reader, mutates one by (seed, reader, index) and
// reports how the reader took it. Every input is a pure function of those three numbers, so any one can be re-run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseManifest } from '../dist/data/index.js';
import { encodeNifti, parseNifti, parseNiftiHeader } from '../dist/io/nifti/index.js';
import { decodeTorchCheckpoint } from '../dist/io/pytorch/index.js';
import { decodeSafetensors, encodeSafetensors } from '../dist/io/safetensors/index.js';
import { readAnyRunConfig } from '../dist/runs/index.js';
import { mulberry32 } from '../dist/util/index.js';

export const READERS = ['nifti', 'nifti.gz', 'safetensors', 'torch', 'run.json', 'manifest'];

const fixture = (path) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../test-fixtures/${path}`, import.meta.url))));
const text = (s) => new TextEncoder().encode(s);

function niftiBases() {
  const data = Float32Array.from({ length: 60 }, (_, i) => (i * 37) % 101 - 50);
  const affine = Float64Array.from([-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]);
  return [
    encodeNifti({ data, shape: [5, 4, 3], affine }, { version: 1, datatype: 'int16' }),
    encodeNifti({ data, shape: [5, 4, 3], affine }, { version: 2, littleEndian: false, datatype: 'float32' }),
  ];
}

const runDir = mkdtempSync(join(tmpdir(), 'mrsynth-fuzz-'));
process.on('exit', () => rmSync(runDir, { recursive: true, force: true }));

/** Per reader: the valid inputs mutated, and how to read one (returning whether it got past the first check). */
const TARGETS = {
  nifti: { name: 'fuzz-input.nii', bases: niftiBases(), read: (bytes, name) => { passHeader(() => parseNiftiHeader(bytes, name)); return checkImage(parseNifti(bytes, name)); } },
  'nifti.gz': { name: 'fuzz-input.nii.gz', bases: niftiBases().map((b) => gzipSync(b)), read: (bytes, name) => checkImage(parseNifti(bytes, name)) },
  safetensors: {
    name: 'fuzz-input.safetensors',
    bases: [Buffer.concat(encodeSafetensors({
      weight: { dtype: 'F32', shape: [2, 3], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
      bias: { dtype: 'BF16', shape: [3], data: new Uint8Array(6) },
      step: { dtype: 'I64', shape: [], data: new Uint8Array(8) },
    }, { format: 'x', step: '3' }, { checksum: true }))],
    read: (bytes, name) => { decodeSafetensors(bytes, name); return true; },
  },
  torch: { name: 'fuzz-input.pt', bases: [fixture('pytorch/state_dict.pt')], read: (bytes, name) => { decodeTorchCheckpoint(bytes, name); return true; } },
  'run.json': {
    name: 'run.json',
    bases: [text(JSON.stringify({
      format: 'mrsynth-run', formatVersion: 2, method: 'cwdm', target: 't1ce', conditions: ['t1', 't2', 'flair'],
      methodConfig: { conditions: 3, modelChannels: 4, channelMult: [1, 2, 2], numResBlocks: 1, numGroups: 2, dropout: 0 },
      weights: { unet: 'weights.safetensors' }, preprocess: 'cwdm',
      schedule: { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' },
      training: { lr: 0.001, weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 3, steps: 10, randomStreams: 'keyed' },
      data: { path: '/data', splitSeed: 0 }, createdWith: { mrsynth: '0.2.0', libtorch: '1.13.0' },
    }, null, 1))],
    read: async (bytes) => { writeFileSync(join(runDir, 'run.json'), bytes); await readAnyRunConfig(runDir); return true; },
  },
  manifest: {
    name: 'fuzz-manifest.csv',
    bases: [text('case,subject,t1,t1ce,t2,flair\nc1,s1,a/t1.nii.gz,a/t1ce.nii.gz,a/t2.nii.gz,a/flair.nii.gz\nc2,s2,b/t1.nii,b/t1ce.nii,b/t2.nii,b/flair.nii\n')],
    read: (bytes, name) => { parseManifest(new TextDecoder().decode(bytes), { kind: 'csv', source: name, baseDir: '/data' }); return true; },
  },
};

let pastHeader = false;
function passHeader(fn) {
  fn();
  pastHeader = true;
}

function checkImage(image) {
  pastHeader = true;
  if (!image.volume.affine.every(Number.isFinite)) throw new TypeError('accepted with a non-finite affine');
  return true;
}

/** The mutated input `index` of `reader` under `seed`: one to four edits of one of the reader's valid files. */
export function input(reader, index, seed) {
  const { bases } = TARGETS[reader];
  const random = mulberry32((seed * 1_000_003 + READERS.indexOf(reader) * 7919 + index * 2_654_435_761) >>> 0);
  const int = (n) => Math.floor(random() * n);
  let bytes = new Uint8Array(bases[int(bases.length)]);
  const edits = 1 + int(4);
  for (let e = 0; e < edits && bytes.length > 0; e++) {
    // Half the edits aim at the first 544 bytes, where headers are; the rest anywhere.
    const at = random() < 0.5 ? int(Math.min(544, bytes.length)) : int(bytes.length);
    const kind = random();
    if (kind < 0.3) bytes[at] ^= 1 << int(8);
    else if (kind < 0.55) bytes[at] = [0, 0xff, 0x7f, 0x80, 0x01, 0x20, 0x22, 0x5b, 0x7b][int(9)];
    else if (kind < 0.7) bytes.set([0xff, 0xff, 0xff, 0x7f].slice(0, Math.min(4, bytes.length - at)), at);
    else if (kind < 0.8) bytes = bytes.slice(0, at);
    else if (kind < 0.9) bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(int(bytes.length))]);
    else bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at, at + int(64)), ...bytes.subarray(at)]);
  }
  return bytes;
}

async function classify(reader, index, seed) {
  const target = TARGETS[reader];
  pastHeader = false;
  try {
    await target.read(input(reader, index, seed), target.name);
    return { outcome: 'accepted', deep: true };
  } catch (error) {
    if (!(error instanceof Error) || error instanceof TypeError || error instanceof RangeError) {
      return { outcome: 'exception', detail: `${error?.constructor?.name}: ${String(error?.message ?? error).slice(0, 200)}` };
    }
    const named = error.message.includes(target.name) || (reader === 'run.json' && error.message.includes(runDir));
    return named ? { outcome: 'error', deep: pastHeader || !/header|magic|sizeof_hdr|ZIP|too short/i.test(error.message) }
      : { outcome: 'unnamed', detail: error.message.slice(0, 200) };
  }
}

if (process.send !== undefined) {
  process.on('message', async ({ reader, index, seed }) => process.send(await classify(reader, index, seed)));
}
