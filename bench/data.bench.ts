/**
 * Phantom data benchmark: seconds to generate BraTS-style 240 x 240 x 155 phantoms (generation only, on worker
 * threads, as `mrsynth phantom` does), and separately the seconds to write one case's files (int16/uint8
 * NIfTI, gzip, atomic writes). Target: 20 cases in at most 30 s on a 2-core machine.
 *
 *   npm run bench:data [-- cases workers writtenCases]     defaults: 20, one per core (at most 4), 2
 */
import { availableParallelism, tmpdir } from 'node:os';
import { promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readNifti, writeNifti } from '../src/io/nifti/index.js';
import { SRI24_TISSUES_PATH } from '../src/phantom/index.js';
import { phantomCaseFiles } from '../src/phantom/index.js';
import { PhantomPool } from '../src/phantom/index.js';

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
try {
  for (let index = 0; index < writtenCases; index++) {
    const phantom = await pool.generate(seed, index, 'brats');
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
} finally {
  await fs.rm(dir, { recursive: true, force: true });
  await pool.close();
}

console.log(`generate ${cases} BraTS-style 240x240x155 cases on ${workers} worker thread(s): ${generateSeconds.toFixed(1)} s `
  + `(${(generateSeconds / cases).toFixed(2)} s/case wall, ${((cpu.user + cpu.system) / 1e6 / cases).toFixed(2)} s/case CPU over all threads) `
  + '— target ≤ 30 s');
console.log(`write (NIfTI .nii.gz, 4 x int16 + uint8 labels): ${(writeSeconds / writtenCases).toFixed(2)} s/case over ${writtenCases} case(s), `
  + 'timed separately, on the main thread');
console.log(`read (NIfTI .nii.gz, int16 240x240x155 to float32): ${readSeconds.toFixed(2)} s/file, best of 3`);
