/**
 * Test data for completion and translation: small phantom cases written as BraTS 2021 or 2023 folders (stored LPS, as
 * BraTS is), and run folders holding a tiny cWDM or ALDM whose zero-initialised parts are given random weights, so that
 * the output depends on the conditions and the noise (an untouched new network outputs zeros, which would make every
 * byte comparison pass trivially). A run's weights follow from its seed alone, so a test draws the same network in
 * every process.
 */
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Contrast } from '../data/index.js';
import { contrastFileName } from '../data/index.js';
import { saveModule, type Module } from '../nn/index.js';
import { method } from '../methods/index.js';
import { parseNifti, writeNifti } from '../io/nifti/index.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors/index.js';
import { CwdmUNet, parseCwdmUNetConfig } from '../models/wdm/index.js';
import { anatomyFromVolume, PhantomGenerator, phantomGrid, SRI24_TISSUES_PATH, type PhantomCase } from '../phantom/index.js';
import { parseRunConfig, readAnyRunConfig, runWeightsMetadata, writeRunConfig, type AnyRunConfig } from '../runs/index.js';
import { Generator, manualSeed, randn, tidy } from '../tensor/index.js';
import { parsePreprocessConfig, type PreprocessConfig } from '../transforms/index.js';

/** Reorient, normalise, crop, and pad to multiples of 8: what the tiny network (two halvings after the DWT) needs. */
export const TEST_PREPROCESS = parsePreprocessConfig({
  steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' }, { kind: 'pad', multiple: [8, 8, 8] }],
});

let generator: PhantomGenerator | undefined;

/** Phantom case `index` on a 20×24×16 grid of 9 mm voxels (about 2 s for the anatomy, once per process). */
export function phantom(index: number): PhantomCase {
  if (generator === undefined) {
    const anatomy = anatomyFromVolume(parseNifti(readFileSync(SRI24_TISSUES_PATH), SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH);
    generator = new PhantomGenerator(anatomy, phantomGrid(anatomy, [20, 24, 16], 9));
  }
  return generator.generate(7, index, 'brats');
}

/** Writes `contrasts` of phantom `index` as case `id` into `root/id/`, named as `format` names them; returns the folder. */
export async function writeCase(root: string, format: 'brats2021' | 'brats2023', id: string, index: number,
  contrasts: readonly Contrast[]): Promise<string> {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const p = phantom(index);
  for (const contrast of contrasts) {
    await writeNifti(join(dir, contrastFileName({ id, format }, contrast)), p.contrasts[contrast]!, { datatype: 'int16' });
  }
  return dir;
}

/**
 * A run folder for `target` from `conditions` with a tiny network initialised from `seed` (its head made random too);
 * `voxelSize` is the model-grid voxel size the run records for its training data (none by default).
 */
export async function writeRun(dir: string, target: Contrast, conditions: readonly Contrast[], seed = 1,
  preprocess: PreprocessConfig = TEST_PREPROCESS, voxelSize?: readonly number[]): Promise<string> {
  const modelConfig = parseCwdmUNetConfig({ preset: 'tiny', conditions: conditions.length });
  const config = parseRunConfig({
    format: 'mrsynth-run', formatVersion: 2, method: 'cwdm', target, conditions, methodConfig: modelConfig, weights: { unet: 'weights.safetensors' },
    preprocess, schedule: { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' },
    training: { lr: 1e-3, weightDecay: 0, batchSize: 1, emaDecay: 0.999, seed, steps: 1, randomStreams: 'keyed' },
    data: { path: '/data/phantoms', splitSeed: 0, ...(voxelSize && { voxelSize }) }, createdWith: { mrsynth: '0.1.0', libtorch: 'test' },
  });
  manualSeed(seed);
  const model = new CwdmUNet(modelConfig);
  try {
    randomiseZeroParameters(model, seed);
    await writeRunConfig(dir, config);
    await saveModule(join(dir, 'weights.safetensors'), model, runWeightsMetadata(config, 1));
  } finally {
    model.dispose();
  }
  return dir;
}

/** Gives every all-zero tensor of `model` (zero-initialised heads) random values, seeded, so the network's output is not constant. */
function randomiseZeroParameters(model: Module, seed: number): void {
  const random = new Generator(seed);
  try {
    tidy(() => {
      const zero = Object.entries(model.stateDict()).filter(([, t]) => t.abs().max().item() === 0);
      model.loadStateDict(Object.fromEntries(zero.map(([key, t]) => [key, randn(t.shape, { generator: random }).mul(0.1)])), { strict: false });
    });
  } finally {
    random.dispose();
  }
}

/** The preprocessing of the ALDM test runs: the brain's box padded to the tiny networks' multiple of 16, in [−1, 1]. */
export const ALDM_TEST_PREPROCESS = parsePreprocessConfig('aldm-brainbox');

/**
 * A trained-looking ALDM run (stage 3: U-Net and autoencoder) of the `tiny` networks over `contrasts`, initialised from
 * `seed` (random too where they start at zero); `voxelSize` is the model-grid voxel size it records for its training data.
 */
export async function writeAldmRun(dir: string, options: {
  contrasts?: readonly Contrast[]; seed?: number; voxelSize?: readonly number[];
  /** Brain PSNR of each translation on a sampled validation, by target then source, as training records it. */
  validationPsnr?: Readonly<Record<string, Readonly<Record<string, number>>>>;
} = {}): Promise<string> {
  const aldm = method('aldm');
  const contrasts = options.contrasts ?? ['t1', 't1ce', 't2', 'flair'];
  const methodConfig = aldm.parseConfig({ preset: 'tiny', contrasts });
  const seed = options.seed ?? 1;
  const config = parseRunConfig({
    format: 'mrsynth-run', formatVersion: 2, method: 'aldm', target: contrasts[contrasts.length - 1], conditions: contrasts.slice(0, -1),
    methodConfig, weights: { unet: 'unet.safetensors', autoencoder: 'autoencoder.safetensors' }, preprocess: ALDM_TEST_PREPROCESS,
    schedule: { betaSchedule: 'scaledLinear', numTrainTimesteps: 1000, predictionType: 'epsilon', timestepSpacing: 'ldm' },
    training: { lr: 1e-4, weightDecay: 0, batchSize: 1, emaDecay: 0.999, seed, steps: 1, randomStreams: 'keyed' },
    data: { path: '/data/phantoms', splitSeed: 0, ...(options.voxelSize && { voxelSize: options.voxelSize }) },
    ...(options.validationPsnr && { sampledValidation: { step: 1, case: 'Ph_100', sampleSteps: 2, scores: Object.fromEntries(
      Object.entries(options.validationPsnr).map(([target, bySource]) => [target, Object.fromEntries(
        Object.entries(bySource).map(([source, psnr]) => [source, { psnr, ssim: 0.5 }]))])) } }),
    createdWith: { mrsynth: '0.1.0', libtorch: 'test' },
  });
  manualSeed(seed);
  const networks = aldm.buildNetworks(methodConfig);
  try {
    await writeRunConfig(dir, config);
    for (const [name, network] of Object.entries(networks)) {
      randomiseZeroParameters(network, seed);
      await saveModule(join(dir, config.weights[name]), network, runWeightsMetadata(config, 1));
    }
  } finally {
    for (const network of Object.values(networks)) network.dispose();
  }
  return dir;
}

/**
 * A copy of ALDM run `run` at `copy` as a run of its first stage alone records it: stage 1's (`autoencoder`, whose
 * MS-SPADE is untrained) or stage 2's (`spade`), run.json naming no U-Net and the U-Net's weights file gone.
 */
export async function aldmFirstStageOf(run: string, copy: string, stage: 'autoencoder' | 'spade'): Promise<string> {
  cpSync(run, copy, { recursive: true });
  rmSync(join(copy, 'unet.safetensors'));
  const config = await readAnyRunConfig(copy);
  const training = stage === 'autoencoder' ? { stage, codebookWeight: 1, gan: null, reseedEvery: 100 } : { stage };
  await writeRunConfig(copy, {
    ...config, methodConfig: { ...(config.methodConfig as object), training }, weights: { autoencoder: config.weights.autoencoder },
  } as AnyRunConfig);
  return copy;
}

/** A copy of run folder `run` at `copy` whose weights file `file` has `value` as the first value of its input convolution. */
export async function runWithFirstWeight(run: string, copy: string, file: string, value: number): Promise<string> {
  cpSync(run, copy, { recursive: true });
  const path = join(copy, file);
  const { tensors, metadata } = await loadSafetensors(path);
  const raw = tensors['input_blocks.0.0.weight'];
  new DataView(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength).setFloat32(0, value, true);
  await saveSafetensors(path, tensors, metadata);
  return copy;
}
