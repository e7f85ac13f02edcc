/**
 * cWDM benchmark against the reference's CPU anchor (spec §15): the `paper` network, batch 1, at three image
 * sizes, a training step (forward, MSE, backward, AdamW) and a denoising step (one forward without gradients
 * plus the DDPM reverse step with the reference's image-space x̂₀ clipping). Each measurement runs in a fresh
 * child process, so peak RSS is that task's alone and no allocator state carries over between sizes.
 *
 * Two precisions:
 *   fp32 — the reference's settings, for the like-for-like comparison;
 *   bf16 — the network runs in bfloat16, through the same code `train --precision bf16` and `complete
 *          --precision bf16` use: CwdmPipeline.predict casts the input in and the output back to float32 for
 *          the scheduler and the loss; training goes through MixedPrecision (src/training/mixedPrecision.ts),
 *          a bfloat16 working copy with float32 master weights for AdamW (lr 1e-5 steps are far below
 *          bfloat16's resolution): gradients are copied up, the step is taken in float32, and the result is
 *          copied down into the working copy.
 * Not a variant: channels-last. libtorch 1.13 accepts channels_last_3d tensors (aten::contiguous with
 * memory_format 3), but its CPU conv3d hands back a contiguous result and was no faster on them (fp32 slower,
 * from the conversions), so every following layer would pay for the layout and gain nothing.
 *
 * Wall times are medians (the fastest repeat is shown too: on a shared machine it comes closest to what an idle
 * one gives). Each child also reports its CPU time divided by the thread count: on idle cores it
 * equals the wall time, so a wall time well above it shows that the machine was busy. It is no substitute
 * for an idle machine: contention slows the work itself too, and waiting OpenMP threads spin on the CPU.
 *
 *   npm run bench:cwdm [-- --repeats 5] [--threads 2] [--sizes 64x64x64,96x96x64] [--full]
 * --full adds a denoising step at the full 224x224x160 (about 10 GB) and projects whole-volume times.
 */
import { type Measurement, measureSteps } from './stepMeasurement.js';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PRECISIONS, type Precision } from '../src/nn/index.js';

type Task = 'train' | 'denoise';

interface Job {
  image: [number, number, number];
  task: Task;
  precision: Precision;
  repeats: number;
}

/** Spec §15, reference PyTorch 1.13 on a 2-core CPU, 2 threads: seconds, and peak RSS of training in GB. */
const REFERENCE: Record<string, { train: number; denoise: number; rssGb: number }> = {
  '64x64x64': { train: 5.0, denoise: 1.68, rssGb: 2.3 },
  '96x96x64': { train: 11.4, denoise: 3.88, rssGb: 3.5 },
  '128x128x96': { train: 29.1, denoise: 9.36, rssGb: 5.5 },
};
const FULL: [number, number, number] = [224, 224, 160];
const REFERENCE_FULL_DENOISE = 49;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sizeName = (image: readonly number[]) => image.join('x');

// ---------------------------------------------------------------- child: one task at one size

async function measure(job: Job): Promise<Measurement> {
  const { CwdmUNet, parseCwdmUNetConfig } = await import('../src/models/wdm/index.js');
  const { PRECISION_DTYPES } = await import('../src/nn/index.js');
  const { AdamW } = await import('../src/optim/index.js');
  const { CwdmDenoiser } = await import('../src/methods/cwdm/index.js');
  const { MixedPrecision } = await import('../src/training/index.js');
  const { DDPMScheduler } = await import('../src/schedulers/index.js');
  const { WaveletCodec, clipInImageSpace } = await import('../src/codecs/index.js');
  const { F, Generator, getNumThreads, manualSeed, noGrad, randint, randn, tensor, tidy } = await import('../src/tensor/index.js');

  manualSeed(0);
  const config = parseCwdmUNetConfig('paper');
  const model = new CwdmUNet(config);
  const wavelet = job.image.map((s) => s / 2);
  const codec = new WaveletCodec();

  const trainStep = () => {
    // `model` is the float32 master; in bf16 the pipeline runs a bfloat16 working copy of it.
    const weights = new MixedPrecision(model, job.precision, () => new CwdmUNet(config));
    const denoiser = new CwdmDenoiser(weights.network);
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-5, weightDecay: 0 });
    const x = randn([1, model.outChannels, ...wavelet]);
    const condition = randn([1, model.inChannels - model.outChannels, ...wavelet]);
    const target = randn([1, model.outChannels, ...wavelet]);
    return () => tidy(() => {
      F.mseLoss(denoiser.predict(x, randint(0, 1000, [1]), condition), target).backward();
      weights.step(optimizer);
    });
  };

  const denoiseStep = () => {
    model.eval().to(PRECISION_DTYPES[job.precision]);
    const denoiser = new CwdmDenoiser(model);
    const scheduler = new DDPMScheduler(undefined, { clipPredX0: (x0) => clipInImageSpace(codec, x0, 0, 1) });
    scheduler.setTimesteps(1000);
    const generator = new Generator(0);
    const condition = codec.encode(randn([1, config.conditions, ...job.image]).clamp(0, 1));
    const sample = randn([1, model.outChannels, ...wavelet]);
    let k = 0;
    return () => noGrad(() => tidy(() => {
      const t = scheduler.timesteps[k++];
      const out = denoiser.predict(sample, tensor([t], { dtype: 'int64' }), condition);
      scheduler.step(out, t, sample, { generator });
    }));
  };

  const step = job.task === 'train' ? trainStep() : denoiseStep();
  return measureSteps(step, job.repeats, getNumThreads());
}

// ---------------------------------------------------------------- parent: spawn, collect, print

function runChild(job: Job, threads: number): Measurement {
  process.stderr.write(`  ${sizeName(job.image)} ${job.task} ${job.precision} … `);
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], {
    encoding: 'utf8', env: { ...process.env, MRSYNTH_THREADS: String(threads) }, maxBuffer: 16 * 1024 * 1024,
  });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`bench:cwdm: the child for ${JSON.stringify(job)} failed (exit ${child.status}, signal ${child.signal}):\n${child.stderr}`);
  }
  const result = JSON.parse(last) as Measurement;
  process.stderr.write(`${median(result.seconds).toFixed(2)} s\n`);
  return result;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

function positiveInt(name: string, fallback: number): number {
  const value = option(name);
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench:cwdm: ${name} must be a positive integer, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const childJob = option('--child');
  if (childJob !== undefined) {
    console.log(JSON.stringify(await measure(JSON.parse(childJob) as Job)));
    return;
  }
  const repeats = positiveInt('--repeats', 5);
  const threads = positiveInt('--threads', 2);
  const sizes = (option('--sizes') ?? Object.keys(REFERENCE).join(',')).split(',');
  for (const size of sizes) {
    if (!Object.hasOwn(REFERENCE, size)) {
      throw new Error(`bench:cwdm: --sizes takes a list of ${Object.keys(REFERENCE).join(', ')}, got '${size}'`);
    }
  }
  const full = process.argv.includes('--full');
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

  console.log(`cWDM paper network (81,511,048 parameters), batch 1, ${threads} intra-op threads, median of ${repeats}; `
    + `each task in a fresh process. Load average at start: ${load()}`);
  const results = new Map<string, Measurement>();
  const key = (image: readonly number[], task: Task, precision: Precision) => `${sizeName(image)}/${task}/${precision}`;
  for (const size of sizes) {
    const image = size.split('x').map(Number) as [number, number, number];
    for (const task of ['train', 'denoise'] as const) {
      for (const precision of PRECISIONS) results.set(key(image, task, precision), runChild({ image, task, precision, repeats }, threads));
    }
  }
  if (full) {
    for (const precision of PRECISIONS) {
      results.set(key(FULL, 'denoise', precision), runChild({ image: FULL, task: 'denoise', precision, repeats }, threads));
    }
  }

  const seconds = (m: Measurement) =>
    `${median(m.seconds).toFixed(2).padStart(6)} s (min ${Math.min(...m.seconds).toFixed(2)}, cpu ${median(m.cpuSeconds).toFixed(2)})`;
  const ratio = (m: Measurement, reference: number, target: number) => {
    const r = median(m.seconds) / reference;
    return `${r.toFixed(2)}x ${r <= target ? 'ok' : 'over'}`;
  };
  const gb = (m: Measurement) => (m.maxRssBytes / 1e9).toFixed(2);
  console.log(`\nLoad average at end: ${load()}. Times: median wall (fastest; median CPU time / threads, equal to the wall time on an idle machine). `
    + 'Targets: fp32 ≤ 1.00x the reference, bf16 ≤ 0.80x; peak RSS ≤ reference + 5 %. GB = 10^9 bytes.\n');
  console.log(`${'image (wavelet)'.padEnd(22)}${'task'.padEnd(9)}${'reference'.padStart(10)}   ${'fp32'.padEnd(45)}${'bf16'.padEnd(45)}`
    + 'peak RSS GB: ref / fp32 / bf16');
  for (const size of sizes) {
    const image = size.split('x').map(Number);
    const reference = REFERENCE[size];
    for (const task of ['train', 'denoise'] as const) {
      const [fp32, bf16] = PRECISIONS.map((p) => results.get(key(image, task, p))!);
      const refRss = task === 'train' ? `${reference.rssGb.toFixed(2)} ${fp32.maxRssBytes / 1e9 <= reference.rssGb * 1.05 ? '(ok)' : '(over)'}` : '   –';
      console.log(`${`${size} (${image.map((s) => s / 2).join('x')})`.padEnd(22)}${task.padEnd(9)}${`${reference[task].toFixed(2)} s`.padStart(10)}   `
        + `${`${seconds(fp32)} ${ratio(fp32, reference[task], 1)}`.padEnd(45)}${`${seconds(bf16)} ${ratio(bf16, reference[task], 0.8)}`.padEnd(45)}`
        + `${refRss} / ${gb(fp32)} / ${gb(bf16)}`);
    }
  }
  if (full) {
    console.log(`\nFull size ${sizeName(FULL)} (wavelet ${FULL.map((s) => s / 2).join('x')}), one denoising step; reference ${REFERENCE_FULL_DENOISE} s `
      + `(≈ ${(REFERENCE_FULL_DENOISE * 1000 / 3600).toFixed(1)} h for DDPM-1000):`);
    for (const precision of PRECISIONS) {
      const m = results.get(key(FULL, 'denoise', precision))!;
      const step = median(m.seconds);
      console.log(`  ${precision}: ${seconds(m)} per step, peak RSS ${gb(m)} GB; `
        + `DDIM-50 ${(50 * step / 60).toFixed(1)} min, DDPM-1000 ${(1000 * step / 3600).toFixed(1)} h per volume`);
    }
  }
}

await main();
