import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { convertTorchCheckpoint, type ConvertedWeights } from '../convert/index.js';
import { parseContrast, type Contrast } from '../data/index.js';
import { saveSafetensors } from '../io/safetensors/index.js';
import { METHODS, METHOD_NAMES, method } from '../methods/index.js';
import {
  MEDICALNET_PRESET_NAMES, MEDICALNET_SEGMENTATION_HEAD, MedicalNetResNet10, type MedicalNetConfig, medicalNetCheckpointExtras,
  parseMedicalNetConfig,
} from '../models/medicalNet/index.js';
import type { Module } from '../nn/index.js';
import { checkImportTarget, importedRunConfig, writeImportedRun } from '../runs/index.js';
import { product } from '../util/index.js';
import { modelFromFlags } from './models.js';
import { parsePreprocessOption } from './preprocessOption.js';
import { readRegularFile } from '../io/index.js';

interface ConvertFlags {
  from: 'pytorch';
  /** A synthesis method; exactly one of it and `featureNetwork` is given. */
  model?: string;
  featureNetwork?: FeatureNetworkName;
  /** Required with `model`; with `featureNetwork` its default preset. */
  config?: string;
  /** A number (the network's condition count) or contrasts (a run folder's conditions, in input-channel order). */
  conditions?: number | Contrast[];
  out?: string;
  runDir?: string;
  target?: Contrast;
  preprocess?: unknown;
  entry?: string;
  part?: string;
  force?: boolean;
}

const PRESETS = METHOD_NAMES.map((name) => `${name}: ${METHODS[name].presets.join(', ')}`).join('; ');

/**
 * A pretrained network whose features a loss compares (part 2's optional perceptual loss), imported as a bare weights
 * file: it synthesises nothing, so it is no method and makes no run.
 */
interface FeatureNetwork<C> {
  readonly presets: readonly string[];
  /** The preset of the published weights, taken when --config is not given. */
  readonly defaultPreset: string;
  parseConfig(raw: unknown): C;
  build(config: C): Module;
  /** Keys (or prefixes) of its checkpoints, within the state dict, that are not the network's. */
  setAside(config: C): string[];
  /** Why those are set aside, said when any were. */
  readonly setAsideReason: string;
}

const FEATURE_NETWORKS: { readonly 'medicalnet-resnet10': FeatureNetwork<MedicalNetConfig> } = {
  'medicalnet-resnet10': {
    presets: MEDICALNET_PRESET_NAMES,
    defaultPreset: 'pretrained',
    parseConfig: parseMedicalNetConfig,
    build: (config) => new MedicalNetResNet10(config),
    setAside: medicalNetCheckpointExtras,
    setAsideReason: `MedicalNet's segmentation head (${MEDICALNET_SEGMENTATION_HEAD.slice(0, -1)}) is not part of the feature network, and the `
      + 'BatchNorms\' batch counters (num_batches_tracked) are never read by its eval-mode features',
  },
};
type FeatureNetworkName = keyof typeof FEATURE_NETWORKS;
const FEATURE_NETWORK_NAMES = Object.keys(FEATURE_NETWORKS) as FeatureNetworkName[];
const FEATURE_PRESETS = FEATURE_NETWORK_NAMES.map((name) => `${name}: ${FEATURE_NETWORKS[name].presets
  .map((preset) => (preset === FEATURE_NETWORKS[name].defaultPreset ? `${preset} (default)` : preset)).join(', ')}`).join('; ');

/**
 * `mrsynth convert`: a PyTorch checkpoint (e.g. the cWDM reference's brats_1200000.pt) to our safetensors
 * weights, checked key by key and shape by shape against the network the flags describe. `--out` writes a bare
 * weights file; `--run-dir` writes an imported run folder (src/runs/importedRun.ts) that `mrsynth complete
 * --models` samples with, which is how the reference's published checkpoints are used. `--feature-network`
 * instead of `--model` imports a pretrained feature network for a loss (MedicalNet's ResNet-10) as a weights file.
 */
export function registerConvertCommand(program: Command): void {
  program.command('convert')
    .description('convert trained weights from another framework into a safetensors weights file (--out) or into a run folder '
      + 'that mrsynth complete --models can use (--run-dir); the checkpoint is read without running any code from it')
    .argument('<checkpoint>', 'the checkpoint file')
    .addOption(new Option('--from <format>', 'the checkpoint\'s format (a torch.save file)').choices(['pytorch']).makeOptionMandatory())
    .addOption(new Option('--model <method>', 'synthesis method whose network the checkpoint holds').choices(METHOD_NAMES))
    .addOption(new Option('--feature-network <name>', 'instead of --model: a pretrained feature network for the perceptual loss, written '
      + 'with --out (medicalnet-resnet10: MedicalNet\'s resnet_10.pth or resnet_10_23dataset.pth, as MONAI\'s PerceptualLoss uses)')
      .choices(FEATURE_NETWORK_NAMES))
    .option('--config <preset>', `config preset of the family, required with --model (${PRESETS}); with --feature-network (${FEATURE_PRESETS})`)
    .option('--out <file>', 'write a weights file (.safetensors)')
    .option('--run-dir <dir>', 'write a run folder (run.json + weights.safetensors) for mrsynth complete --models')
    .option('--target <contrast>', 'with --run-dir: the contrast the weights synthesise (t1, t1ce, t2, flair, pd; BraTS 2023 names too)',
      (value) => parseContrast(value, '--target'))
    .option('--conditions <contrasts|n>', 'with --run-dir: the contrasts the model is conditioned on, in input-channel order (default: '
      + 'the reference\'s, the other BraTS contrasts in the order t1, t1ce, t2, flair); with --out: their number, if not the '
      + 'preset\'s (BraTS 3, IXI 2)', parseConditions)
    .option('--preprocess <preset|json>', 'with --run-dir: the preprocessing the weights were trained with: reference (default: the '
      + 'reference\'s 224×224×160 window of the 240×240×155 BraTS grid), cwdm, or a preprocessing config as JSON', parsePreprocessOption)
    .option('--entry <name>', 'read only this top-level entry of the checkpoint (when it holds the weights more than once, e.g. ema)')
    .option('--part <network>', "which of the method's networks the checkpoint holds (default its main one), e.g. aldm's autoencoder "
      + '(a stage-1 or stage-2 Lightning checkpoint of the reference); with --run-dir the run holds that network only')
    .option('--force', 'replace the output file, or an earlier imported run folder (never a trained run)')
    .action(async (checkpoint: string, flags: ConvertFlags) => {
      if ((flags.model === undefined) === (flags.featureNetwork === undefined)) {
        const got = flags.model === undefined ? 'neither' : `both (--model ${flags.model}, --feature-network ${flags.featureNetwork})`;
        throw new Error('convert: give exactly one of --model METHOD (a synthesis method\'s network) and --feature-network NAME (a pretrained '
          + `feature network for a loss), got ${got}`);
      }
      if (flags.featureNetwork !== undefined) {
        await convertFeatureNetwork(checkpoint, flags.featureNetwork, FEATURE_NETWORKS[flags.featureNetwork], flags);
        return;
      }
      const model = flags.model!;
      if (flags.config === undefined) {
        throw new Error(`convert: --model ${model} needs --config PRESET, the network's config (${method(model).presets.join(', ')})`);
      }
      if ((flags.out === undefined) === (flags.runDir === undefined)) {
        throw new Error('convert: give exactly one of --out FILE (a weights file) and --run-dir DIR (a run folder for mrsynth complete), '
          + `got ${flags.out === undefined ? 'neither' : 'both'}`);
      }
      const methodFlags = { ...flags, model, config: flags.config };
      if (flags.out !== undefined) await convertToFile(checkpoint, flags.out, methodFlags);
      else await convertToRunFolder(checkpoint, flags.runDir!, methodFlags);
    });
}

/** The flags of a synthesis method's import, once checked. */
type MethodFlags = ConvertFlags & { model: string; config: string };

async function convertToFile(checkpoint: string, out: string, flags: MethodFlags): Promise<void> {
  const runOnly = [flags.target !== undefined && '--target', flags.preprocess !== undefined && '--preprocess',
    Array.isArray(flags.conditions) && `--conditions ${flags.conditions.join(',')}`].filter((flag) => flag !== false);
  if (runOnly.length > 0) {
    throw new Error(`convert: ${runOnly.join(', ')} describe a run folder and need --run-dir; a weights file (--out) records only the `
      + 'network (give --conditions as a number there)');
  }
  const { config } = modelFromFlags({ ...flags, conditions: flags.conditions as number | undefined });
  // Refused before the (possibly large) read and conversion. Checking and writing are not one atomic step:
  // a file that appears in between is replaced, whole, by the atomic write.
  if (!flags.force && await exists(out)) throw new Error(`convert: ${out} exists; pass --force to replace it`);
  const converted = await convert(checkpoint, config, flags);
  await saveSafetensors(out, converted.tensors, converted.metadata);
  console.log(`wrote ${out}: ${describeWeights(converted)}, `
    + `${flags.model} ${flags.config}${flags.conditions === undefined ? '' : ` with ${flags.conditions} conditions`}`);
}

async function convertToRunFolder(checkpoint: string, dir: string, flags: MethodFlags): Promise<void> {
  if (flags.target === undefined) {
    throw new Error('convert: --run-dir needs --target, the contrast the weights synthesise (the reference has one checkpoint per target)');
  }
  if (typeof flags.conditions === 'number') {
    throw new Error(`convert: with --run-dir, --conditions names the contrasts in input-channel order (e.g. t1,t2,flair), got the number ${flags.conditions}`);
  }
  const { reference } = method(flags.model);
  if (reference === undefined) throw new Error(`convert: --run-dir imports a method's published reference weights, and ${flags.model} has none`);
  const conditions = flags.conditions ?? reference.conditions(flags.target);
  const config = method(flags.model).parseConfig(flags.config, conditions);
  await checkImportTarget(dir, { force: flags.force });
  const converted = await convert(checkpoint, config, flags);
  const run = importedRunConfig({
    origin: { from: flags.from, source: resolve(checkpoint), sourceSha256: converted.metadata.source_sha256, sourcePrefix: converted.prefix },
    method: flags.model, target: flags.target, conditions, methodConfig: config,
    weights: { [converted.network]: reference.weights[converted.network] },
    preprocess: flags.preprocess ?? reference.preprocess, schedule: reference.schedule,
  });
  await writeImportedRun(dir, run, converted.tensors, { force: flags.force });
  if (Object.keys(reference.weights).length > 1) {
    console.log(`wrote run folder ${dir}: ${describeWeights(converted)}, the ${converted.network} of ${flags.model} ${flags.config} only; `
      + `a parent run for training the method's later stage on it (--parent ${dir}), not one to synthesise with`);
    return;
  }
  console.log(`wrote run folder ${dir}: ${describeWeights(converted)}, ${flags.model} ${flags.config}; synthesises ${run.target} from `
    + `${run.conditions.join(', ')} (in input-channel order); preprocessing ${run.preprocess.preset}`);
  console.log(`synthesise with: mrsynth complete CASE --models ${dir}`);
}

/**
 * Reads and converts the checkpoint into the network `--part` names (default the method's main one), and reports
 * where the weights were and what was left out, objects it cannot build without running code included.
 */
async function convert(checkpoint: string, config: unknown, flags: MethodFlags): Promise<ConvertedWeights & { network: string }> {
  const m = method(flags.model);
  const names = Object.keys(buildAndDispose(m, config));
  const part = flags.part ?? names[0];
  if (!names.includes(part)) throw new Error(`convert: --part ${part} is not a network of ${flags.model}; it has ${names.join(', ')}`);
  const file = await readRegularFile(checkpoint);
  const converted = convertTorchCheckpoint(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), {
    source: checkpoint, model: flags.model, config, entry: flags.entry, setAside: m.reference?.setAside,
    network: () => {
      const networks = m.buildNetworks(config);
      for (const [name, other] of Object.entries(networks)) if (name !== part) other.dispose();
      return networks[part];
    },
  });
  reportRead(checkpoint, converted, flags.part === undefined ? '' : ` for the ${part}`);
  return { ...converted, network: part };
}

/** Where in the checkpoint the weights were, and what was left out (objects it cannot build without running code included). */
function reportRead(checkpoint: string, converted: ConvertedWeights, what: string): void {
  console.log(`read ${checkpoint} (sha256 ${converted.metadata.source_sha256}): `
    + `${converted.prefix === '' ? 'a bare state dict' : `weights under '${converted.prefix}'`}${what}`);
  for (const [kind, keys] of [['other tensor(s)', converted.outside], ['non-tensor value(s)', converted.ignored],
    ['object(s) it cannot build without running their code', converted.skipped]] as const) {
    if (keys.length > 0) console.log(`  left out ${keys.length} ${kind}: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}`);
  }
}

/**
 * `--feature-network`: the checkpoint's weights into a bare weights file for the network at the preset `--config`
 * names (default: the published weights'), its config and name in the file's metadata, so a loss rebuilds it from
 * there. The flags that describe a method's networks or run folders are refused: such a network synthesises nothing.
 */
async function convertFeatureNetwork<C>(checkpoint: string, name: FeatureNetworkName, network: FeatureNetwork<C>, flags: ConvertFlags): Promise<void> {
  const methodOnly = [flags.runDir !== undefined && '--run-dir', flags.target !== undefined && '--target',
    flags.conditions !== undefined && '--conditions', flags.preprocess !== undefined && '--preprocess', flags.part !== undefined && '--part']
    .filter((flag) => flag !== false);
  if (methodOnly.length > 0) {
    throw new Error(`convert: ${methodOnly.join(', ')} describe a synthesis method's networks or run folder and need --model; `
      + `--feature-network ${name} writes a weights file (--out FILE) only`);
  }
  if (flags.out === undefined) throw new Error(`convert: --feature-network ${name} needs --out FILE, the weights file (.safetensors) to write`);
  const preset = flags.config ?? network.defaultPreset;
  const config = network.parseConfig(preset);
  if (!flags.force && await exists(flags.out)) throw new Error(`convert: ${flags.out} exists; pass --force to replace it`);
  const file = await readRegularFile(checkpoint);
  const setAside = network.setAside(config);
  const converted = convertTorchCheckpoint(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), {
    source: checkpoint, model: name, config, entry: flags.entry, setAside, network: () => network.build(config),
  });
  reportRead(checkpoint, converted, '');
  if (converted.outside.some((key) => setAside.some((part) => key.startsWith(`${converted.prefix}${part}`)))) {
    console.log(`  (set aside because ${network.setAsideReason})`);
  }
  await saveSafetensors(flags.out, converted.tensors, converted.metadata);
  console.log(`wrote ${flags.out}: ${describeWeights(converted)}, ${name} ${preset}`);
}

/** The names of the networks `config` describes (built to learn them, and freed at once). */
function buildAndDispose(m: ReturnType<typeof method>, config: unknown): Record<string, true> {
  const networks = m.buildNetworks(config);
  for (const network of Object.values(networks)) network.dispose();
  return Object.fromEntries(Object.keys(networks).map((name) => [name, true]));
}

function describeWeights(converted: ConvertedWeights): string {
  const tensors = Object.values(converted.tensors);
  const parameters = tensors.reduce((sum, t) => sum + product(t.shape), 0);
  return `${tensors.length} tensors, ${parameters.toLocaleString('en-US')} parameters, float32`;
}

/** `--conditions`: a positive integer, or comma-separated contrasts (BraTS 2023 names too: t1n, t1c, t2w, t2f). */
function parseConditions(value: string): number | Contrast[] {
  if (/^\s*\d+\s*$/.test(value)) {
    const n = Number(value);
    if (n < 1) throw new InvalidArgumentError(`expected a positive integer or contrasts such as t1,t2,flair, got '${value}'`);
    return n;
  }
  const names = value.split(',').map((s) => s.trim());
  try {
    return names.map((name) => parseContrast(name, '--conditions'));
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(() => true, () => false);
}
