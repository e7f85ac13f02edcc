/**
 * Reconstruction of a case's contrasts through a run's codec (`mrsynth reconstruct`): each contrast the model knows
 * encoded and decoded, as a sampled latent is decoded, and written on its own grid in the run's units. What comes back
 * is what the latent keeps of a scan: the bound on every synthesis of the run (issue 19 gates ALDM's autoencoder on
 * it). Each contrast is preprocessed alone, as translation preprocesses its source.
 *
 * The outputs take the contrasts' own names (`<case>_t1.nii.gz`), so `eval --ref DATASET` pairs them with the
 * scans they reconstruct; they therefore go to another folder (`out`, mirroring the case folders), never beside the
 * inputs.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { canonicalOrder, contrastFileName, type Contrast } from '../data/index.js';
import { readNiftiHeader, readNiftiWithSha256 } from '../io/nifti/index.js';
import { parsePrecision, type Precision } from '../nn/index.js';
import { tensorToVolumeData, volumesToTensor } from '../pipelines/index.js';
import { runtimeInfo, tidy } from '../tensor/index.js';
import { preprocess } from '../transforms/index.js';
import { packageVersion } from '../util/index.js';
import { failedCase, runCaseQueue, weightBytes, type UnsettledCase } from './caseQueue.js';
import { estimateCompletionMemory } from './completionMemory.js';
import { loadRun, sidecarModel, type LoadedRun } from './loadedRun.js';
import { backgroundMask, backgroundText, modelUnits } from './modelUnits.js';
import { caseFolders } from './outputFolders.js';
import { SIDECAR_FORMAT, SIDECAR_FORMAT_VERSION, type SynthesisSidecar } from './synthesisSidecar.js';
import { earlierSyntheses, isSyntheticHeader, syntheticFiles, type SyntheticFiles } from './syntheticFiles.js';
import { writeSynthesis } from './writeSynthesis.js';

export interface ReconstructCasesOptions {
  /** A case folder, a data set folder or a manifest. */
  readonly input: string;
  readonly run: string;
  /** The folder the reconstructions go to, mirroring the case folders. */
  readonly out: string;
  readonly precision?: Precision;
  readonly force?: boolean;
  readonly verify?: boolean;
  readonly memoryLimit?: number;
  readonly onOutcome?: (outcome: ReconstructionOutcome) => void;
}

export type ReconstructionOutcome =
  | { readonly caseId: string; readonly status: 'reconstructed'; readonly files: readonly string[]; readonly seconds: number }
  | { readonly caseId: string; readonly status: 'already-done'; readonly outputs: readonly string[] }
  | UnsettledCase;

interface TodoPlan {
  readonly caseId: string;
  readonly status: 'todo';
  readonly contrasts: readonly { readonly contrast: Contrast; readonly input: string; readonly files: SyntheticFiles }[];
  readonly replaces: readonly string[];
}

/** Reconstructs every contrast the run knows of every case of `options.input`; one outcome per case, in data set order. */
export async function reconstructCases(options: ReconstructCasesOptions): Promise<ReconstructionOutcome[]> {
  const precision = parsePrecision(options.precision ?? 'fp32', 'reconstructCases: precision');
  const run = await loadRun(options.run, precision, options.verify ?? true);
  try {
    const known = run.pipeline.targets as readonly Contrast[] | undefined ?? [...run.config.conditions, run.config.target];
    const { cases } = await caseFolders(options.input, options.out);
    const plans: (TodoPlan | ReconstructionOutcome)[] = [];
    for (const { c, dir } of cases) {
      plans.push(await (async (): Promise<TodoPlan | ReconstructionOutcome> => {
        const contrasts = [];
        for (const contrast of canonicalOrder(Object.keys(c.contrasts) as Contrast[]).filter((k) => known.includes(k))) {
          const input = c.contrasts[contrast]!;
          if (isSyntheticHeader(await readNiftiHeader(input))) continue;
          const files = syntheticFiles(join(dir, contrastFileName(c, contrast)));
          if (resolve(files.image) === resolve(input)) return { caseId: c.id, status: 'refused', reason: `would write over its input ${input}; give another folder as out` };
          contrasts.push({ contrast, input, files });
        }
        if (contrasts.length === 0) return { caseId: c.id, status: 'refused', reason: `has no acquired contrast the model knows (${known.join(', ')})` };
        const earlier = await earlierSyntheses(contrasts.map(({ files }) => files));
        if ('inTheWay' in earlier) return { caseId: c.id, status: 'refused', reason: earlier.inTheWay };
        const { existing } = earlier;
        if (!options.force && existing.length > 0) return { caseId: c.id, status: 'already-done', outputs: existing };
        return { caseId: c.id, status: 'todo', contrasts, replaces: existing };
      })().catch((error: unknown) => failedCase(c.id, error)));
    }
    const weights = await weightBytes([run]);
    return await runCaseQueue<TodoPlan, ReconstructionOutcome>(plans, {
      memory: (plan) => estimateCompletionMemory(plan.contrasts[0].input, [run.config], weights),
      limit: options.memoryLimit,
      start: () => {},
      work: async (plan, seconds) => ({ caseId: plan.caseId, status: 'reconstructed', files: await reconstructCase(plan, run, precision), seconds: seconds() }),
      settled: (outcome) => options.onOutcome?.(outcome),
    });
  } finally {
    run.pipeline.dispose();
  }
}

async function reconstructCase(plan: TodoPlan, run: LoadedRun, precision: Precision): Promise<string[]> {
  const { config, pipeline } = run;
  const units = modelUnits(config.preprocess);
  const written: string[] = [];
  const versions = { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion, node: process.version };
  for (const { contrast, input, files } of plan.contrasts) {
    const { image, sha256 } = await readNiftiWithSha256(input);
    const { volumes, record } = preprocess({ [contrast]: image.volume }, config.preprocess);
    const data = tidy(() => tensorToVolumeData(pipeline.reconstruct(volumesToTensor([volumes[contrast]]))));
    const background = backgroundMask([volumes[contrast].data], units.floor);
    for (let v = 0; v < data.length; v++) if (background[v]) data[v] = units.floor;
    const here = dirname(files.sidecar);
    const sidecar: SynthesisSidecar = {
      format: SIDECAR_FORMAT, formatVersion: SIDECAR_FORMAT_VERSION, synthetic: true, case: plan.caseId, contrast,
      reconstruction: true, files: { image: relative(here, files.image) }, units: units.text, mask: backgroundText(units, 'the source'),
      model: sidecarModel(run, true),
      sampler: null, precision, seed: null, samples: 1, order: [contrast], conditions: [{ contrast, from: 'input' }], placeholder: null,
      inputs: [{ contrast, path: relative(here, input), sha256 }], geometryFrom: relative(here, image.source), preprocess: record,
      roundTripError: null, versions, createdAt: new Date().toISOString(),
    };
    written.push(...await writeSynthesis({
      files, contrast, samples: [data], saveStd: false, saveSamples: false, like: image, record, fill: units.floor, sidecar,
      replaces: plan.replaces.includes(files.image),
      description: () => `mrsynth ${config.method} synthetic reconstruction of ${contrast}, ${units.short} units`,
    }));
  }
  return written;
}
