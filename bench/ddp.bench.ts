/**
 * Data-parallel training on this machine's cores: the `cpu` cWDM network (brain box padded to a multiple of 32) trained by `mrsynth train` as one process
 * with 2 threads, one process with 1 thread, and `mrsynth launch` of 2 processes with 1 thread each (Gloo over
 * loopback), on the same phantom cases. Each configuration is a real run; its figures come from its log.jsonl:
 * seconds per step (median after warm-up), steps and samples per second (2 processes take 2 samples a step), the
 * scaling efficiency (samples per second of 2 processes over twice 1 process's at 1 thread each), and the bytes and
 * seconds of each step's gradient all-reduce as rank 0 measured them.
 *
 *   npm run bench:ddp [-- --steps 14] [--warmup 4] [--shape 64,64,48] [--spacing 3.5]
 * The figures mean something only on otherwise idle cores: the 2-process run needs both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const { values } = parseArgs({
  options: { steps: { type: 'string', default: '14' }, warmup: { type: 'string', default: '4' }, shape: { type: 'string', default: '64,64,48' },
    spacing: { type: 'string', default: '3.5' } },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
if (!(Number.isInteger(steps) && Number.isInteger(warmup) && warmup >= 0 && steps > warmup + 2)) {
  throw new Error(`bench:ddp: --steps must exceed --warmup by at least 3, got ${steps} and ${warmup}`);
}

interface Configuration { name: string; processes: number; threads: number }
const CONFIGURATIONS: Configuration[] = [
  { name: '1 process × 2 threads', processes: 1, threads: 2 },
  { name: '1 process × 1 thread', processes: 1, threads: 1 },
  { name: '2 processes × 1 thread', processes: 2, threads: 1 },
];

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function mrsynth(args: readonly string[], threads: number): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, MRSYNTH_THREADS: String(threads) } });
  if (result.status !== 0) throw new Error(`bench:ddp: mrsynth ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`);
}

interface Figures { secondsPerStep: number; samplesPerStep: number; exchange?: { bytes: number; seconds: number } }

function measure(configuration: Configuration, data: string, root: string): Figures {
  const out = join(root, configuration.name.replace(/\W+/g, '-'));
  const train = ['train', 'cwdm', '--data', data, '--target', 't2', '--config', 'cpu', '--steps', String(steps), '--out', out,
    '--preprocess', 'cwdm-brainbox', '--val-every', String(steps * 10), '--val-sample-steps', '0', '--checkpoint-every', String(steps * 10)];
  if (configuration.processes === 1) mrsynth(train, configuration.threads);
  else mrsynth(['launch', '--nproc-per-node', String(configuration.processes), '--master-port', String(29400 + (process.pid % 500)), '--', ...train], configuration.threads);
  const entries = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    .filter((e) => e.kind === 'train' && e.step > warmup && e.step < steps);
  const exchanges = entries.flatMap((e) => (e.gradientExchange !== undefined ? [e.gradientExchange] : []));
  return {
    secondsPerStep: median(entries.map((e) => e.seconds)),
    samplesPerStep: configuration.processes,
    ...(exchanges.length > 0 && { exchange: { bytes: median(exchanges.map((x) => x.bytes)), seconds: median(exchanges.map((x) => x.seconds)) } }),
  };
}

const root = mkdtempSync(join(tmpdir(), 'mrsynth-bench-ddp-'));
try {
  const data = join(root, 'data');
  const shape = values.shape!;
  mrsynth(['phantom', '--out', data, '--cases', '4', '--shape', shape, '--spacing', values.spacing!], 1);
  console.log(`bench:ddp — cWDM 'cpu' network, phantom grid ${shape.replaceAll(',', '×')} at ${values.spacing} mm, batch 1 per process, `
    + `${steps} steps (median of steps ${warmup + 1}–${steps - 1}); load average before: ${loadavg()[0].toFixed(2)}`);
  const results = CONFIGURATIONS.map((c) => ({ c, f: measure(c, data, root) }));
  console.log('\n| configuration | s/step | steps/s | samples/s | gradient all-reduce per step |');
  console.log('|---|---|---|---|---|');
  for (const { c, f } of results) {
    const exchange = f.exchange === undefined ? '—' : `${(f.exchange.bytes / 2 ** 20).toFixed(2)} MiB in ${(f.exchange.seconds * 1000).toFixed(1)} ms`;
    console.log(`| ${c.name} | ${f.secondsPerStep.toFixed(3)} | ${(1 / f.secondsPerStep).toFixed(2)} | ${(f.samplesPerStep / f.secondsPerStep).toFixed(2)} | ${exchange} |`);
  }
  const rate = (i: number) => results[i].f.samplesPerStep / results[i].f.secondsPerStep;
  console.log(`\nscaling efficiency, 2 processes × 1 thread against 2 × (1 process × 1 thread): ${(100 * rate(2) / (2 * rate(1))).toFixed(1)} %`);
  console.log(`samples/s of 2 processes × 1 thread over 1 process × 2 threads: ${(rate(2) / rate(0)).toFixed(2)}×`);
  console.log(`load average after: ${loadavg()[0].toFixed(2)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
