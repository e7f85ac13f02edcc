/**
 * ALDM benchmark (issue 18, "Speed"): a training step of each network and a denoising step, for the `code`, `cpu`
 * and `cpu-f2` configs, batch 1 (the denoising step also at the batches --batches asks for), float32. Each measurement runs in a fresh child process, so peak RSS is that task's alone and no
 * allocator state carries over between measurements. Parts:
 *   unet-train    ε-loss step of the U-Net: x_t = q(x₀, t), ε̂ = U-Net([x_t ‖ z_src ‖ z_st], t, y), MSE, backward,
 *                 AdamW (the reference LDM's: torch defaults, weight decay 0.01). The condition latents are drawn
 *                 once: the first stage's per-batch encoding is what `encode` measures;
 *   unet-denoise  one DDIM step as ALDM samples (LDM spacing, 50 steps, η = 1): a forward without gradients and
 *                 the update, for a batch of samples of one case (translate --samples N draws them together), each
 *                 sample's noise from its own generator;
 *   spade-train   stage-2 step: MS-SPADE turns a source latent into the target class's, L1 to the target latent,
 *                 backward, AdamW over MS-SPADE alone (β 0.5, 0.9: the GAN stages' betas); the latents are drawn once,
 *                 as stage 2 encodes every case once before it trains;
 *   ae-train      stage-1 autoencoder step: encoder → quant_conv → quantiser → post_quant_conv → decoder, L1 + the
 *                 quantiser's loss + the hinge generator loss through the 1 → 1 PatchGAN, backward, AdamW over
 *                 what the reference's stage 1 optimises (β 0.5, 0.9, no decay: its Adam). MS-SPADE and the
 *                 discriminator are frozen, as the reference and Lightning's optimiser toggling leave them;
 *   encode        image → quantised latent, no gradients (the whole nearest-code search included);
 *   decode        latent → image, no gradients.
 * Sizes are image sizes; the U-Net parts run at the latent, a quarter of each axis (`cpu-f2`: a half). By default each part runs at
 * the issue's sizes: the U-Net at 48×64×48, 80×96×80 and 144×192×144 (latents 12×16×12, 20×24×20 — the issue's 18×24×18
 * does not halve twice — and 36×48×36), the
 * autoencoder step at 48×64×48 and 72×96×72, encode and decode at 144×192×144.
 *
 * Wall times are medians after one warm-up step (first-touch allocations, AdamW's moments), with the fastest repeat
 * (on a shared machine it comes closest to what an idle one gives) and the median CPU time divided by the thread
 * count (equal to the wall time on idle cores; a wall time well above it shows the machine was busy).
 * bench/aldm-vs-pytorch.sh runs the same children beside the reference layout in PyTorch.
 *
 *   npm run bench:aldm [-- --repeats 3] [--threads 2] [--configs code,cpu,cpu-f2] [--parts unet-train,ae-train,…]
 *                      [--sizes 48x64x48,…] [--batches 1,4] [--json]
 * --sizes replaces every chosen part's default sizes (a quick run: --sizes 48x64x48); --json also prints one JSON
 * line per measurement. --batches (default 1) runs unet-denoise at each batch and prints its time per sample beside. --threads defaults to MRSYNTH_THREADS, else 2, and reaches the children as MRSYNTH_THREADS.
 */
import { type Measurement, measureSteps } from './stepMeasurement.js';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const PARTS = ['unet-train', 'unet-denoise', 'spade-train', 'ae-train', 'encode', 'decode'] as const;
type Part = (typeof PARTS)[number];
const CONFIGS = ['code', 'cpu', 'cpu-f2'] as const;
type ConfigName = (typeof CONFIGS)[number];

const SMALL = '48x64x48';
const MEDIUM = '72x96x72';
/**
 * The U-Net's middle size: issue 18 names the latent 18×24×18, which the code U-Net cannot take (18 does not halve
 * twice; the reference's concatenation would fail there too), so the nearest that does, 20×24×20.
 */
const UNET_MEDIUM = '80x96x80';
const FULL = '144x192x144';
/** Issue 18's sizes per part (image sizes). */
const DEFAULT_SIZES: Readonly<Record<Part, readonly string[]>> = {
  'unet-train': [SMALL, UNET_MEDIUM, FULL],
  'unet-denoise': [SMALL, UNET_MEDIUM, FULL],
  'spade-train': [SMALL, MEDIUM],
  'ae-train': [SMALL, MEDIUM],
  encode: [FULL],
  decode: [FULL],
};
const WARMUP = 1;
const UNET_PART = (part: Part) => part.startsWith('unet');
/** Parts that run at the latent, not the image. */
const LATENT_PART = (part: Part) => UNET_PART(part) || part === 'spade-train' || part === 'decode';

interface Job {
  config: ConfigName;
  part: Part;
  /** Image size. */
  image: [number, number, number];
  /** The autoencoder's latent of that image, where the U-Net parts run (image / 4, `cpu-f2` image / 2). */
  latent: number[];
  repeats: number;
  /** Samples in the batch: unet-denoise only, 1 for every other part. */
  batch: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sizeName = (size: readonly number[]) => size.join('x');
/** What the part runs on, e.g. "latent 12x16x12 (image 48x64x48)". */
const describeSize = ({ part, image, latent }: Job) =>
  (LATENT_PART(part) ? `latent ${sizeName(latent)} (image ${sizeName(image)})` : `image ${sizeName(image)}`);
const BATCHED_PART = (part: Part) => part === 'unet-denoise';

// ---------------------------------------------------------------- child: one part of one config at one size

async function measure(job: Job): Promise<Measurement> {
  const {
    AldmUNet, VQModel, imageDiscriminator, parseAldmUNetConfig, parseAutoencoderConfig, stage1Loss,
  } = await import('../src/models/aldm/index.js');
  const { AdamW } = await import('../src/optim/index.js');
  const { DDIMScheduler, parseDDIMSchedulerConfig } = await import('../src/schedulers/index.js');
  const { F, Generator, dispose, getNumThreads, manualSeed, noGrad, rand, randint, randn, tensor, tidy } = await import('../src/tensor/index.js');

  manualSeed(0);
  const { latent } = job;
  // ALDM's schedule (spec §4): scaled-linear β, T = 1000, ε-prediction, LDM's uniform DDIM spacing with η = 1.
  const schedule = () => new DDIMScheduler(parseDDIMSchedulerConfig({
    numTrainTimesteps: 1000, betaSchedule: 'scaledLinear', predictionType: 'epsilon', timestepSpacing: 'ldm', eta: 1,
  }));

  const unetStep = (train: boolean) => {
    const unet = new AldmUNet(parseAldmUNetConfig(job.config));
    const z = unet.outChannels;
    const condition = randn([1, unet.inChannels - z, ...latent]);
    const classes = tensor([1], { dtype: 'int64' });
    const scheduler = schedule();
    if (train) {
      const optimizer = new AdamW(unet.namedParameters(), { lr: 4e-5 });
      const x0 = randn([1, z, ...latent]);
      return () => tidy(() => {
        const t = randint(0, 1000, [1], { dtype: 'int64' });
        const noise = randn(x0.shape);
        const noisy = scheduler.addNoise(x0, noise, t.item());
        F.mseLoss(unet.forward(F.cat([noisy, condition], 1), t, classes), noise).backward();
        optimizer.step();
        optimizer.zeroGrad();
      });
    }
    unet.eval();
    scheduler.setTimesteps(50);
    const n = job.batch;
    const generators = Array.from({ length: n }, (_, i) => new Generator(i));
    const sample = randn([n, z, ...latent]);
    // One case's samples: the same condition and class for each.
    const conditions = condition.repeat([n, 1, 1, 1, 1]);
    const labels = classes.repeat([n]);
    let k = 0;
    return () => noGrad(() => tidy(() => {
      // The step's result is dropped and the next step starts from the same sample: the cost does not depend on it.
      const t = scheduler.timesteps[k++ % scheduler.timesteps.length];
      const eps = unet.forward(F.cat([sample, conditions], 1), tensor(Array(n).fill(t), { dtype: 'int64' }), labels);
      scheduler.step(eps, t, sample, { generator: generators });
    }));
  };

  const spadeStep = () => {
    const config = parseAutoencoderConfig(job.config);
    const vqgan = new VQModel(config);
    const optimizer = new AdamW(vqgan.spade.namedParameters(), { lr: 8e-5, betas: [0.5, 0.9], weightDecay: 0 });
    const source = randn([1, config.zChannels, ...latent]);
    const target = randn([1, config.zChannels, ...latent]);
    return () => tidy(() => {
      F.l1Loss(vqgan.spade.forward(source, [1]), target).backward();
      optimizer.step();
      optimizer.zeroGrad();
    });
  };

  const autoencoderStep = () => {
    const config = parseAutoencoderConfig(job.config);
    const vqgan = new VQModel(config);
    if (job.part === 'ae-train') {
      const discriminator = imageDiscriminator(config);
      for (const [, p] of [...vqgan.spade.namedParameters(), ...discriminator.namedParameters()]) p.requiresGrad_(false);
      const optimizer = new AdamW(vqgan.namedParameters().filter(([key]) => !key.startsWith('spade.')),
        { lr: 4e-5, betas: [0.5, 0.9], weightDecay: 0 });
      const x = rand([1, config.inChannels, ...job.image]).mul(2).sub(1);
      return () => tidy(() => {
        const { zQ, loss } = vqgan.encode(x);
        const reconstruction = vqgan.decode(zQ);
        const logitsFake = discriminator.forward(reconstruction);
        stage1Loss({ input: x, reconstruction, codebookLoss: loss, logitsFake }).total.backward();
        optimizer.step();
        optimizer.zeroGrad();
      });
    }
    vqgan.eval();
    if (job.part === 'encode') {
      const x = rand([1, config.inChannels, ...job.image]).mul(2).sub(1);
      return () => noGrad(() => tidy(() => {
        const { zQ, loss, indices } = vqgan.encode(x);
        dispose([zQ, loss, indices]);
      }));
    }
    const z = randn([1, config.zChannels, ...latent]);
    return () => noGrad(() => tidy(() => { vqgan.decode(z).dispose(); }));
  };

  const step = UNET_PART(job.part) ? unetStep(job.part === 'unet-train') : job.part === 'spade-train' ? spadeStep() : autoencoderStep();
  for (let i = 0; i < WARMUP; i++) step();
  return measureSteps(step, job.repeats, getNumThreads());
}

// ---------------------------------------------------------------- parent: spawn, collect, print

function runChild(job: Job, threads: number): Measurement {
  process.stderr.write(`  ${job.part} ${job.config} ${describeSize(job)} … `);
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], {
    encoding: 'utf8', env: { ...process.env, MRSYNTH_THREADS: String(threads) }, maxBuffer: 16 * 1024 * 1024,
  });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`bench:aldm: the child for ${JSON.stringify(job)} failed (exit ${child.status}, signal ${child.signal}):\n${child.stderr}`);
  }
  const result = JSON.parse(last) as Measurement;
  process.stderr.write(`${median(result.seconds).toFixed(2)} s\n`);
  return result;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench:aldm: ${name} must be a positive integer, got '${value}'`);
  return n;
}

function list<T extends string>(name: string, allowed: readonly T[]): T[] {
  const given = option(name);
  if (given === undefined) return [...allowed];
  const values = given.split(',');
  const bad = values.find((v) => !(allowed as readonly string[]).includes(v));
  if (bad !== undefined) throw new Error(`bench:aldm: ${name} takes a list of ${allowed.join(', ')}, got '${bad}'`);
  return values as T[];
}

/**
 * Each part's jobs for one config at the sizes, or those of --sizes, checked against what the part's networks
 * can take: the autoencoder's halvings, and for the U-Net parts the U-Net's on top.
 */
async function jobsOf(config: ConfigName, part: Part, repeats: number, batches: readonly number[]): Promise<Job[]> {
  const { aldmUNetSpatialMultiple, autoencoderSpatialMultiple, parseAldmUNetConfig, parseAutoencoderConfig } = await import('../src/models/aldm/index.js');
  const reduction = autoencoderSpatialMultiple(parseAutoencoderConfig(config));
  const multiple = UNET_PART(part) ? reduction * aldmUNetSpatialMultiple(parseAldmUNetConfig(config)) : reduction;
  const given = option('--sizes');
  const names = given === undefined ? DEFAULT_SIZES[part] : given.split(',');
  return names.map((name) => {
    const size = name.split('x').map(Number);
    if (size.length !== 3 || !size.every((s) => Number.isInteger(s) && s > 0 && s % multiple === 0)) {
      throw new Error(`bench:aldm: --sizes takes image sizes XxYxZ; ${part} of ${config} needs every axis a multiple of ${multiple}, got '${name}'`);
    }
    const image = size as [number, number, number];
    return { config, part, image, latent: image.map((s) => s / reduction), repeats, batch: 1 };
  }).flatMap((job) => (BATCHED_PART(part) ? batches.map((batch) => ({ ...job, batch })) : [job]));
}

async function main(): Promise<void> {
  const childJob = option('--child');
  if (childJob !== undefined) {
    console.log(JSON.stringify(await measure(JSON.parse(childJob) as Job)));
    return;
  }
  const repeats = positiveInt('--repeats', option('--repeats'), 3);
  const threads = positiveInt('--threads', option('--threads') ?? process.env.MRSYNTH_THREADS, 2);
  const configs = list('--configs', CONFIGS);
  const parts = list('--parts', PARTS);
  const json = process.argv.includes('--json');
  const batches = (option('--batches') ?? '1').split(',').map((b) => positiveInt('--batches', b, 1));
  const jobs: Job[] = [];
  for (const config of configs) for (const part of parts) jobs.push(...await jobsOf(config, part, repeats, batches));
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

  console.log(`ALDM networks, batch 1 (unet-denoise: ${batches.join(', ')}), float32, ${threads} intra-op threads, median of ${repeats} after ${WARMUP} warm-up; `
    + `each measurement in a fresh process. Load average at start: ${load()}`);
  const results = jobs.map((job) => {
    const m = runChild(job, threads);
    if (json) console.log(JSON.stringify({ part: job.part, config: job.config, image: job.image, latent: job.latent, batch: job.batch, ...m }));
    return m;
  });

  console.log(`\nLoad average at end: ${load()}. Times: median wall (fastest; median CPU time / threads, equal to the wall time on an idle machine). `
    + 'GB = 10^9 bytes.\n');
  console.log(`${'part'.padEnd(14)}${'config'.padEnd(8)}${'size'.padEnd(36)}${'batch'.padEnd(7)}${'seconds per step'.padEnd(36)}`
    + `${'cpu per sample'.padEnd(16)}peak RSS GB`);
  jobs.forEach((job, i) => {
    const m = results[i];
    const seconds = `${median(m.seconds).toFixed(2).padStart(6)} s (min ${Math.min(...m.seconds).toFixed(2)}, cpu ${median(m.cpuSeconds).toFixed(2)})`;
    const perSample = `${(median(m.cpuSeconds) / job.batch).toFixed(3)} s`;
    console.log(`${job.part.padEnd(14)}${job.config.padEnd(8)}${describeSize(job).padEnd(36)}${String(job.batch).padEnd(7)}${seconds.padEnd(36)}`
      + `${perSample.padEnd(16)}${(m.maxRssBytes / 1e9).toFixed(2)}`);
  });
}

await main();
