/**
 * Full-size completion time (issue 5: "full-size completion on this machine in ≤ 15 minutes"): one BraTS case
 * at 1 mm, 240×240×155, completed end to end by the library call behind `mrsynth complete` — reading the three
 * inputs, preprocessing, DDIM sampling with the `paper` network, the inverse onto the case grid, writing the
 * NIfTI and its sidecar. The network holds its initial weights (there are no trained full-size weights here):
 * the work per step does not depend on the values, and an untrained cWDM outputs exactly zero, which
 * the x̂₀ clipping handles like any other prediction.
 *
 *   npm run bench:cwdm-completion [-- --case DIR] [--geometry cwdm-brainbox|cwdm] [--precision bf16|fp32] [--steps 50]
 *
 * Host memory is set up as MRSYNTH_HOST_ALLOCATOR says, `heap` when unset (the fastest at this size).
 * Without --case, a 1 mm phantom case (SRI24 anatomy, 240×240×155) is generated first. The case's T1ce is
 * the contrast synthesised; its file is left out of the input folder.
 */
import { promises as fs } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fullSizePhantomCase } from './fullSizePhantom.js';

const PRESETS = ['cwdm-brainbox', 'cwdm'] as const;

// The fastest host memory set-up for full-size volumes (README, "Threads"), unless the caller chose one; read
// when the addon loads, i.e. on the first import of src/ below.
process.env.MRSYNTH_HOST_ALLOCATOR ??= 'heap';

async function main(): Promise<void> {
  const { discoverDataset } = await import('../src/data/index.js');
  const { completeCases } = await import('../src/completion/index.js');
  const { CwdmUNet, parseCwdmUNetConfig } = await import('../src/models/wdm/index.js');
  const { parsePrecision } = await import('../src/nn/index.js');
  const { moduleToRaw } = await import('../src/nn/moduleFile.js');
  const { importedRunConfig, writeImportedRun } = await import('../src/runs/importedRun.js');
  const { REFERENCE_SCHEDULE, referenceConditions } = await import('../src/methods/cwdm/index.js');
  const { getNumThreads, manualSeed } = await import('../src/tensor/index.js');

  const { values: flags } = parseArgs({
    options: {
      case: { type: 'string' }, geometry: { type: 'string', default: 'cwdm-brainbox' },
      precision: { type: 'string', default: 'bf16' }, steps: { type: 'string', default: '50' },
    },
  });
  const geometry = flags.geometry;
  if (!(PRESETS as readonly string[]).includes(geometry)) throw new Error(`bench:cwdm-completion: --geometry takes ${PRESETS.join(' or ')}, got '${geometry}'`);
  const precision = parsePrecision(flags.precision, 'bench:cwdm-completion: --precision');
  const steps = Number(flags.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`bench:cwdm-completion: --steps must be a positive integer, got '${flags.steps}'`);

  const work = await fs.mkdtemp(join(tmpdir(), 'mrsynth-bench-completion-'));
  try {
    const caseDir = flags.case ?? await fullSizePhantomCase(work, 'bench:cwdm-completion');
    const [found] = (await discoverDataset(caseDir)).cases;
    if (found === undefined || found.contrasts.t1ce === undefined) throw new Error(`bench:cwdm-completion: ${caseDir} is not a case with a T1ce to leave out`);
    // The input case: every contrast but T1ce (links, so nothing is copied or changed).
    const input = join(work, 'input', found.id);
    await fs.mkdir(input, { recursive: true });
    for (const [contrast, file] of Object.entries(found.contrasts)) {
      if (contrast !== 't1ce' && file !== undefined) await fs.symlink(file, join(input, basename(file)));
    }

    manualSeed(0);
    const modelConfig = parseCwdmUNetConfig('paper');
    const model = new CwdmUNet(modelConfig);
    const run = join(work, 'run');
    await writeImportedRun(run, importedRunConfig({
      origin: { from: 'pytorch', source: 'bench: the paper network at its initial weights', sourceSha256: '0'.repeat(64), sourcePrefix: '' },
      method: 'cwdm', target: 't1ce', conditions: referenceConditions('t1ce'), methodConfig: modelConfig, weights: { unet: 'weights.safetensors' },
      preprocess: geometry, schedule: REFERENCE_SCHEDULE,
    }), moduleToRaw(model));
    model.dispose();

    console.log(`cWDM completion of one case (${caseDir}), paper network, ${geometry} geometry, `
      + `${precision}, DDIM-${steps}, ${getNumThreads()} intra-op threads, host memory ${process.env.MRSYNTH_HOST_ALLOCATOR}. Load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const started = performance.now();
    let sampling = 0;
    await completeCases({
      input: join(work, 'input'), runs: [run], out: join(work, 'out'), precision, sampler: { kind: 'ddim', steps, eta: 0 },
      onProgress: (event) => {
        if (event.kind === 'step' && event.step === 1) sampling = performance.now();
        if (event.kind === 'step' && event.step % 10 === 0) process.stderr.write(`  step ${event.step} of ${event.steps}\n`);
        if (event.kind === 'outcome' && event.outcome.status !== 'completed') {
          throw new Error(`bench:cwdm-completion: the case was not completed: ${JSON.stringify(event.outcome)}`);
        }
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const perStep = sampling > 0 ? ((performance.now() - sampling) / 1000) / (steps - 1) : NaN;
    console.log(`whole completion ${(seconds / 60).toFixed(1)} min (${seconds.toFixed(0)} s), `
      + `≈ ${perStep.toFixed(1)} s per step; peak RSS ${(process.resourceUsage().maxRSS / 1e6).toFixed(2)} GB. `
      + `Target ≤ 15 min. Load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
