/**
 * Phantom data benchmark: seconds to generate BraTS-style 240 x 240 x 155 phantoms (generation only, on worker
 * threads, as `mrsynth phantom` does), and separately the seconds to write one case's files (int16/uint8
 * NIfTI, gzip, atomic writes), and to read them back. Then, on the main thread with the workers closed, the
 * steps that follow reading: the cwdm preprocessing preset on the first case's four contrasts and its inverse for
 * one, percentiles of one contrast, and the NIfTI readers on hostile input (a gzip bomb; the fuzz corpus of
 * src/io/nifti/image.fuzz.test.ts). Those tests check the results; the times are printed here.
 * Target: 20 cases in at most 30 s on a 2-core machine.
 *
 *   npm run bench:data [-- cases workers writtenCases]     defaults: 20, one per core (at most 4), 2
 */
import { availableParallelism, tmpdir } from 'node:os';
import { promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseNifti, parseNiftiHeader, readNifti, writeNifti } from '../src/io/nifti/index.js';
import { niftiFuzzCorpus } from '../src/io/nifti/fuzzCorpus.testSupport.js';
import { gunzipExact } from '../src/io/nifti/gzip.js';
import { SRI24_TISSUES_PATH } from '../src/phantom/index.js';
import { phantomCaseFiles } from '../src/phantom/index.js';
import { PhantomPool, type PhantomCase } from '../src/phantom/index.js';
import { invertPreprocess, parsePreprocessConfig, preprocess } from '../src/transforms/index.js';
import { percentiles, type Volume } from '../src/volume/index.js';

const cases = Number(process.argv[2] ?? 20);
const workers = Number(process.argv[3] ?? Math.min(4, availableParallelism()));
const writtenCases = Number(process.argv[4] ?? 2);
const seed = 1;

const pool = new PhantomPool({
  tissues: readFileSync(SRI24_TISSUES_PATH), source: SRI24_TISSUES_PATH, shape: [240, 240, 155], spacing: 1, workers,
});
// Warm-up: starting the threads and building their generators is not generation.
await Promise.all(Array.from({ length: workers }, (_, w) => pool.generate(seed, 100000 + w, 'brats')));

let started = performance.now();
const cpuStart = process.cpuUsage();
// At most two cases in flight per worker, so finished volumes never pile up in memory.
const window = 2 * workers;
const inFlight: Promise<void>[] = [];
for (let index = 0; index < cases; index++) {
  if (inFlight.length >= window) await inFlight.shift();
  inFlight.push(pool.generate(seed, index, 'brats').then(() => undefined));
}
await Promise.all(inFlight);
const generateSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);

const dir = await fs.mkdtemp(join(tmpdir(), 'mrsynth-bench-data-'));
let writeSeconds = 0;
let readSeconds = Infinity;
let firstCase: PhantomCase | undefined;
try {
  for (let index = 0; index < writtenCases; index++) {
    const phantom = await pool.generate(seed, index, 'brats');
    firstCase ??= phantom;
    started = performance.now();
    for (const file of phantomCaseFiles(phantom)) {
      const path = join(dir, file.path);
      await fs.mkdir(dirname(path), { recursive: true });
      await writeNifti(path, file.volume, { datatype: file.datatype });
    }
    writeSeconds += (performance.now() - started) / 1000;
  }
  // Reading back: the first written case's int16 .nii.gz contrasts, best of three (the machine is shared).
  const written = (await fs.readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith('.nii.gz') && !/seg/.test(f)).slice(0, 4);
  for (let run = 0; run < 3; run++) {
    started = performance.now();
    for (const file of written) await readNifti(join(dir, file));
    readSeconds = Math.min(readSeconds, (performance.now() - started) / 1000 / written.length);
  }
  firstCase ??= await pool.generate(seed, 0, 'brats');
} finally {
  await fs.rm(dir, { recursive: true, force: true });
  await pool.close();
}

/** Best of `runs` (the machine is shared): wall and CPU seconds of one call of `work`. */
function bestOf(runs: number, work: () => unknown): { wall: number; cpu: number } {
  let wall = Infinity;
  let cpu = Infinity;
  for (let run = 0; run < runs; run++) {
    const cpuStarted = process.cpuUsage();
    const wallStarted = performance.now();
    work();
    wall = Math.min(wall, (performance.now() - wallStarted) / 1000);
    const used = process.cpuUsage(cpuStarted);
    cpu = Math.min(cpu, (used.user + used.system) / 1e6);
  }
  return { wall, cpu };
}

// Preprocessing (the cwdm preset: reorient, percentile normalisation, crop, pad to 224x224x160) and its inverse.
const contrasts = firstCase.contrasts as Record<string, Volume>;
const cwdm = parsePreprocessConfig('cwdm');
let preprocessed = preprocess(contrasts, cwdm);
const preprocessTime = bestOf(3, () => { preprocessed = preprocess(contrasts, cwdm); });
const [someContrast] = Object.keys(contrasts);
const inverseTime = bestOf(3, () => invertPreprocess(preprocessed.record, preprocessed.volumes[someContrast], { contrast: someContrast, units: 'scanner' }));
const percentileTime = bestOf(3, () => percentiles(contrasts[someContrast].data, [0.1, 99.9]));

// Hostile input: a gzip bomb refused at the size its header implies, and the NIfTI fuzz corpus through both readers.
const bomb = gzipSync(new Uint8Array(16 * 2 ** 20), { level: 9 });
const bombTime = bestOf(3, () => {
  try { gunzipExact(bomb, 1000, 'bomb.nii.gz'); } catch { /* refused, as expected */ }
});
const corpus = niftiFuzzCorpus();
const corpusTime = bestOf(3, () => {
  for (const { name, bytes } of corpus) {
    for (const parse of [parseNifti, parseNiftiHeader]) {
      try { parse(bytes, name); } catch { /* most are refused */ }
    }
  }
});

console.log(`generate ${cases} BraTS-style 240x240x155 cases on ${workers} worker thread(s): ${generateSeconds.toFixed(1)} s `
  + `(${(generateSeconds / cases).toFixed(2)} s/case wall, ${((cpu.user + cpu.system) / 1e6 / cases).toFixed(2)} s/case CPU over all threads) `
  + '— target ≤ 30 s');
console.log(`write (NIfTI .nii.gz, 4 x int16 + uint8 labels): ${(writeSeconds / writtenCases).toFixed(2)} s/case over ${writtenCases} case(s), `
  + 'timed separately, on the main thread');
console.log(`read (NIfTI .nii.gz, int16 240x240x155 to float32): ${readSeconds.toFixed(2)} s/file, best of 3`);
const seconds = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;
const milliseconds = (t: { wall: number; cpu: number }) => `${(1000 * t.wall).toFixed(1)} ms wall, ${(1000 * t.cpu).toFixed(1)} ms CPU`;
const shape = contrasts[someContrast].shape.join('x');
console.log(`preprocess, cwdm preset (reorient, normalise, crop, pad to 224x224x160), ${Object.keys(contrasts).length} contrasts of ${shape}: `
  + `${seconds(preprocessTime)}, best of 3 — target ≤ 2 s CPU`);
console.log(`inverse of the cwdm preset, one contrast back onto ${shape} in scanner units: ${seconds(inverseTime)}, best of 3`);
console.log(`percentiles 0.1 and 99.9 of one ${shape} contrast: ${seconds(percentileTime)}, best of 3`);
console.log(`gzip bomb (16 MiB of zeros in ${(bomb.length / 1024).toFixed(0)} KiB) refused at the 1000 bytes a header implies: `
  + `${milliseconds(bombTime)}, best of 3`);
console.log(`NIfTI fuzz corpus (${corpus.length} corrupt, random and hostile files), parseNifti and parseNiftiHeader on each: `
  + `${milliseconds(corpusTime)} (${(1e6 * corpusTime.wall / corpus.length).toFixed(0)} µs/file), best of 3`);
