/**
 * Whole-volume ALDM translation time (issue 19: "a whole 1 mm translation with `code`, DDIM 50, ≤ 10 min on this
 * project's 2-core reference machine, bf16 allowed"): one BraTS-sized case at 1 mm, 240×240×155, translated from T1 into
 * T1ce end to end by the library call behind `mrsynth translate` — reading the source, the reference's preprocessing
 * (`aldm`: the 144×192×144 box), encoding, MS-SPADE, DDIM sampling with the `code` U-Net, decoding, the inverse onto the
 * case grid, writing the NIfTI and its sidecar. The networks hold their initial weights (there are no trained
 * full-size weights here): the work per step does not depend on the values.
 *
 *   npm run bench:aldm-translation [-- --case DIR] [--precision bf16|fp32] [--steps 50] [--reference]
 *
 * `--reference` also times the reference's modules in PyTorch (bench/pytorch-reference-aldm.py, python3-torch) on the
 * same box — encoding, one denoising step and decoding, each once after a warm-up — and prints the translation they add
 * up to beside ours. Host memory is set up as MRSYNTH_HOST_ALLOCATOR says, `heap` when unset. Without --case, a 1 mm
 * phantom case (SRI24 anatomy, 240×240×155) is generated first.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fullSizePhantomCase } from './fullSizePhantom.js';

process.env.MRSYNTH_HOST_ALLOCATOR ??= 'heap';

/** The reference's box: what its encoder, U-Net and decoder see. */
const BOX = '144x192x144';

async function main(): Promise<void> {
  const { discoverDataset } = await import('../src/data/index.js');
  const { translateCases } = await import('../src/completion/index.js');
  const { method } = await import('../src/methods/index.js');
  const { parsePrecision, saveModule } = await import('../src/nn/index.js');
  const { parseRunConfig, runWeightsMetadata, writeRunConfig } = await import('../src/runs/index.js');
  const { parsePreprocessConfig } = await import('../src/transforms/index.js');
  const { getNumThreads, manualSeed } = await import('../src/tensor/index.js');

  const { values: flags } = parseArgs({
    options: {
      case: { type: 'string' }, precision: { type: 'string', default: 'bf16' }, steps: { type: 'string', default: '50' },
      reference: { type: 'boolean', default: false },
    },
  });
  const who = 'bench:aldm-translation';
  const precision = parsePrecision(flags.precision, `${who}: --precision`);
  const steps = Number(flags.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${who}: --steps must be a positive integer, got '${flags.steps}'`);

  const work = await fs.mkdtemp(join(tmpdir(), 'mrsynth-bench-translation-'));
  try {
    const caseDir = flags.case ?? await fullSizePhantomCase(work, who);
    const [found] = (await discoverDataset(caseDir)).cases;
    const source = found?.contrasts.t1;
    if (source === undefined) throw new Error(`${who}: ${caseDir} is not a case with a T1 to translate`);

    // A stage-3 run of the reference code's networks at their initial weights, in the reference's geometry.
    manualSeed(0);
    const aldm = method('aldm');
    const methodConfig = aldm.parseConfig('code');
    const run = join(work, 'run');
    const config = parseRunConfig({
      format: 'mrsynth-run', formatVersion: 2, method: 'aldm', target: 'flair', conditions: ['t1', 't1ce', 't2'], methodConfig,
      weights: { unet: 'unet.safetensors', autoencoder: 'autoencoder.safetensors' }, preprocess: parsePreprocessConfig('aldm'),
      schedule: aldm.reference!.schedule,
      training: { lr: 4e-5, weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 0, steps: 1, randomStreams: 'keyed' },
      data: { path: 'bench: initial weights', splitSeed: 0 }, createdWith: { mrsynth: 'bench', libtorch: 'bench' },
    });
    await writeRunConfig(run, config);
    const networks = aldm.buildNetworks(methodConfig);
    for (const [name, network] of Object.entries(networks)) {
      await saveModule(join(run, config.weights[name]), network, runWeightsMetadata(config, 1));
      network.dispose();
    }

    console.log(`ALDM translation of one case (${caseDir}, T1 → T1ce), code networks, aldm geometry (${BOX}), ${precision}, DDIM-${steps} η 1, `
      + `${getNumThreads()} intra-op threads, host memory ${process.env.MRSYNTH_HOST_ALLOCATOR}. Load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const started = performance.now();
    let firstStep = 0;
    let lastStep = 0;
    const outcomes = await translateCases({
      file: source, source: 't1', targets: ['t1ce'], run, out: join(work, 'out'), precision, sampler: { kind: 'ddim', steps, eta: 1 },
      onProgress: (event) => {
        if (event.kind === 'step' && event.step === 1) firstStep = performance.now();
        if (event.kind === 'step' && event.step === event.steps) lastStep = performance.now();
        if (event.kind === 'step' && event.step % 10 === 0) process.stderr.write(`  step ${event.step} of ${event.steps}\n`);
      },
    });
    if (outcomes[0]?.status !== 'translated') throw new Error(`${who}: the case was not translated: ${JSON.stringify(outcomes[0])}`);
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    const perStep = ((lastStep - firstStep) / 1000) / (steps - 1);
    // Before the first step: reading, preprocessing, encoding, MS-SPADE and the first step; after the last: decoding and writing.
    console.log(`whole translation ${(seconds / 60).toFixed(1)} min (${seconds.toFixed(0)} s): ≈ ${perStep.toFixed(1)} s per step; `
      + `${((firstStep - started) / 1000 - perStep).toFixed(0)} s before sampling (read, preprocess, encode, translate), `
      + `${((ended - lastStep) / 1000).toFixed(0)} s after (decode, write); peak RSS ${(process.resourceUsage().maxRSS / 1e6).toFixed(2)} GB. `
      + `Target ≤ 10 min. Load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    if (flags.reference) {
      const python = '/usr/bin/python3';
      const part = (name: string) => {
        const result = spawnSync(python, [fileURLToPath(new URL('pytorch-reference-aldm.py', import.meta.url)), name, 'code', BOX, '1'],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        if (result.status !== 0) throw new Error(`${who}: the PyTorch reference's ${name} failed (python3-torch installed?)`);
        const measured = JSON.parse(result.stdout) as { seconds: number[]; maxRssBytes: number };
        return { seconds: measured.seconds[0], rss: measured.maxRssBytes };
      };
      const [encode, denoise, decode] = ['encode', 'unet-denoise', 'decode'].map(part);
      const total = encode.seconds + steps * denoise.seconds + decode.seconds;
      console.log(`the reference's modules in PyTorch, float32, same box: encode ${encode.seconds.toFixed(0)} s, ${denoise.seconds.toFixed(1)} s per `
        + `denoising step, decode ${decode.seconds.toFixed(0)} s: a translation of ${(total / 60).toFixed(1)} min (${total.toFixed(0)} s) without `
        + `reading, preprocessing or writing; peak RSS ${(Math.max(encode.rss, denoise.rss, decode.rss) / 1e9).toFixed(2)} GB (the largest part). `
        + `mrsynth / PyTorch: time ${(seconds / total).toFixed(2)}×`);
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
