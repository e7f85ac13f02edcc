#!/usr/bin/env node
// The mutation fuzzer (`npm run fuzz -- [INPUTS_PER_READER] [SEED] [READER…]`): seeded mutations of valid files for
// every reader of untrusted input, run in a worker process under a time and a memory budget. Each input's outcome is
// one of: `error` (a clean Error naming the file), `accepted` (parsed, finite results), `unnamed` (an error whose
// message does not name the file), `exception` (anything thrown that is not an Error), `crash` (the worker died),
// `hang` (over the time budget) or `memory` (over the memory budget). Anything but the first two fails the run; the
// worker is restarted after a crash, and the input that crashed it is named. Also reported per reader, so that the
// mutations are seen to reach deeper than the magic bytes: the share of inputs whose structure parsed (the NIfTI
// header, the ZIP directory, the JSON of a safetensors header or run.json, a manifest's header row, a pickle's
// PROTO) and the share of the reader's V8 code blocks (functions and the branches in them) that ran. The worker runs
// the TypeScript sources under tsx, so no build is needed.
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WORKER = fileURLToPath(new URL('./fuzz-worker.mjs', import.meta.url));
const [countArg, seedArg, ...only] = process.argv.slice(2);
const perReader = Number(countArg ?? 1000);
const seed = Number(seedArg ?? 1);
const TIME_BUDGET_MS = 5000;
const MEMORY_BUDGET_MB = 1024;
const BAD = ['unnamed', 'exception', 'crash', 'hang', 'memory'];

/** The modules each reader's parsing lives in, whose V8 block coverage (functions and the branches inside them) is reported. */
const READER_FILES = {
  nifti: ['io/nifti/header.ts', 'io/nifti/image.ts', 'io/nifti/affine.ts', 'io/nifti/binary.ts'],
  'nifti.gz': ['io/nifti/gzip.ts', 'io/nifti/image.ts'],
  safetensors: ['io/safetensors/safetensors.ts', 'io/safetensors/findDuplicateJsonKey.ts', 'io/jsonNesting.ts', 'io/safetensors/rawTensor.ts'],
  torch: ['io/pytorch/torchCheckpoint.ts', 'io/pytorch/zipArchive.ts', 'io/pytorch/restrictedUnpickle.ts'],
  zip: ['io/pytorch/zipArchive.ts'],
  pickle: ['io/pytorch/restrictedUnpickle.ts'],
  'run.json': ['runs/runConfig.ts', 'runs/runFolder.ts'],
  manifest: ['data/manifest.ts'],
  paths: ['io/regularFile.ts', 'io/nifti/files.ts', 'io/pytorch/torchCheckpointFile.ts', 'io/safetensors/safetensorsFile.ts'],
};
const sources = pathToFileURL(join(fileURLToPath(new URL('..', import.meta.url)), 'src')).href;
const coverageRoot = mkdtempSync(join(tmpdir(), 'mrsynth-fuzz-coverage-'));
let coverageDir = coverageRoot;

/**
 * A new worker, once it has loaded (transpiling the readers and building the valid files takes seconds, more on a busy
 * machine): an input's time budget starts when it is sent, not while the worker starts.
 */
function startWorker() {
  const worker = fork(WORKER, [], {
    execArgv: ['--import', 'tsx', `--max-old-space-size=${MEMORY_BUDGET_MB}`], stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, NODE_V8_COVERAGE: coverageDir },
  });
  return new Promise((ready, failed) => {
    let stderr = '';
    const onStderr = (chunk) => { stderr += chunk.toString(); };
    const onExit = (code, signal) => failed(new Error(`fuzz: the worker exited while starting (${code ?? signal}): ${stderr.slice(-500)}`));
    worker.stderr.on('data', onStderr);
    worker.once('exit', onExit);
    worker.once('message', (message) => {
      worker.stderr.off('data', onStderr);
      worker.off('exit', onExit);
      if (message?.ready) ready(worker);
      else failed(new Error(`fuzz: the worker's first message was not 'ready': ${JSON.stringify(message)}`));
    });
  });
}

/** Share of V8 code blocks (functions and the branches inside them) of `files` that ran, over the worker(s) that wrote to `dir`. */
function blockCoverage(dir, files) {
  const counts = new Map();
  for (const name of readdirSync(dir)) {
    for (const script of JSON.parse(readFileSync(join(dir, name), 'utf8')).result) {
      const file = files.find((f) => script.url === `${sources}/${f}`);
      if (file === undefined) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          const key = `${file}:${range.startOffset}:${range.endOffset}`;
          counts.set(key, (counts.get(key) ?? 0) + range.count);
        }
      }
    }
  }
  const all = [...counts.values()];
  return all.length === 0 ? 0 : all.filter((n) => n > 0).length / all.length;
}

/** Ends a worker normally, so that V8 writes its coverage. */
function stopWorker(w) {
  return new Promise((done) => {
    if (w.exitCode !== null || w.signalCode !== null) { done(); return; }
    w.once('exit', done);
    w.disconnect();
  });
}

/** Runs input `index` of `reader` in `worker`; resolves with its outcome, restarting nothing (the caller does). */
function runOne(worker, reader, index) {
  return new Promise((done) => {
    const timer = setTimeout(() => { cleanup(); worker.kill('SIGKILL'); done({ outcome: 'hang' }); }, TIME_BUDGET_MS);
    const onMessage = (message) => { cleanup(); done(message); };
    const onExit = (code, signal) => {
      cleanup();
      done({ outcome: code === 134 || /heap|memory/i.test(stderr) ? 'memory' : 'crash', detail: `exit ${code ?? signal}: ${stderr.slice(-300)}` });
    };
    let stderr = '';
    const onStderr = (chunk) => { stderr += chunk.toString(); };
    const cleanup = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.stderr.off('data', onStderr);
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.stderr.on('data', onStderr);
    worker.send({ reader, index, seed });
  });
}

const readers = Object.keys(READER_FILES).filter((r) => only.length === 0 || only.includes(r));
let worker;
const failures = [];
console.log(`fuzz: ${perReader} inputs per reader, seed ${seed}, ${TIME_BUDGET_MS} ms and ${MEMORY_BUDGET_MB} MB per input`);
console.log(`${'reader'.padEnd(12)} ${'error'.padStart(7)} ${'accepted'.padStart(9)} ${'past header'.padStart(12)} ${'bad'.padStart(5)} ${'blocks run'.padStart(11)}`);
for (const reader of readers) {
  // One worker (and coverage folder) per reader, so each reader's coverage is its own inputs'.
  coverageDir = mkdtempSync(join(coverageRoot, `${reader}-`));
  worker = await startWorker();
  const counts = { error: 0, accepted: 0, deep: 0 };
  let bad = 0;
  for (let index = 0; index < perReader; index++) {
    const result = await runOne(worker, reader, index);
    if (result.outcome === 'crash' || result.outcome === 'hang' || result.outcome === 'memory') {
      worker.kill('SIGKILL');
      worker = await startWorker();
    }
    if (BAD.includes(result.outcome)) {
      bad++;
      failures.push(`${reader} #${index} (seed ${seed}): ${result.outcome}${result.detail ? `: ${result.detail}` : ''}`);
    } else {
      counts[result.outcome]++;
      if (result.deep) counts.deep++;
    }
  }
  await stopWorker(worker);
  const covered = blockCoverage(coverageDir, READER_FILES[reader]);
  console.log(`${reader.padEnd(12)} ${String(counts.error).padStart(7)} ${String(counts.accepted).padStart(9)} `
    + `${`${((100 * counts.deep) / perReader).toFixed(0)} %`.padStart(12)} ${String(bad).padStart(5)} ${`${(100 * covered).toFixed(0)} %`.padStart(11)}`);
}
rmSync(coverageRoot, { recursive: true, force: true });
if (failures.length > 0) {
  console.log(`FAILED: ${failures.length} input(s) outside the two good classes (re-run one with its reader, index and seed):`);
  for (const line of failures.slice(0, 50)) console.log(`  ${line}`);
  process.exit(1);
}
console.log('fuzz passed: every input gave a clean error naming the file or a finite result');
