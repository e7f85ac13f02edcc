import { type Command, InvalidArgumentError, Option } from 'commander';
import { METHODS, METHOD_NAMES, method, type SynthesisMethod } from '../methods/index.js';
import {
  BUILTIN_PREFIX, phantomTrainingNotice, readBuiltinManifest, type BuiltinCaseFigures, type BuiltinModel, type BuiltinSampler, type BuiltinScores,
  type BuiltinTaskFigures,
} from '../runs/index.js';

/** The flags that choose a network: `--model`, `--config` and `--conditions`, shared by every command that builds one. */
export interface ModelFlags {
  model: string;
  config: string;
  conditions?: number;
}

const PRESETS = METHOD_NAMES.map((name) => `${name}: ${METHODS[name].presets.join(', ')}`).join('; ');

export function addModelOptions(command: Command): Command {
  return command
    .addOption(new Option('--model <method>', 'synthesis method').choices(METHOD_NAMES).makeOptionMandatory())
    .requiredOption('--config <preset>', `config preset of the family (${PRESETS})`)
    .option('--conditions <n>', 'number of condition contrasts, if not the preset\'s (BraTS 3, IXI 2)', parseConditions);
}

/** The family and its checked config for the flags; the preset with `--conditions` applied. */
export function modelFromFlags(flags: ModelFlags): { family: SynthesisMethod; config: unknown } {
  const family = method(flags.model);
  const raw = flags.conditions === undefined ? flags.config : { preset: flags.config, conditions: flags.conditions };
  return { family, config: family.parseConfig(raw) };
}

/**
 * `mrsynth models list`: the built-in models with their held-out figures; `mrsynth models info`: a network's size per
 * part and its full config, without loading any weights.
 */
export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('list the built-in models; inspect the model families and their configs');
  models.command('list')
    .description(`list the built-in models (use one with --models ${BUILTIN_PREFIX}<name>) with how each scores on held-out phantoms beside the affine baselines`)
    .option('--json', 'machine-readable output: the manifest')
    .action(async (flags: { json?: boolean }) => {
      const manifest = await readBuiltinManifest();
      if (flags.json) {
        console.log(JSON.stringify(manifest, null, 2));
        return;
      }
      for (const model of manifest.models) console.log(`${describeBuiltin(model)}\n`);
      const bytes = manifest.models.reduce((sum, model) => sum + weightsBytes(model), 0);
      console.log('Cases won: those whose PSNR beats the trained affine baseline\'s (one map per target fitted on the training phantoms); '
        + 'the oracle affine is fitted on each held-out case against its own target, a floor no deployed method has.');
      console.log(`${manifest.models.length} built-in model(s), ${(bytes / 2 ** 20).toFixed(1)} MiB of weights. ${manifest.licence}`);
    });
  addModelOptions(models.command('info')
    .description('print the parameter count per part of the network and its config'))
    .option('--json', 'machine-readable output')
    .action((flags: ModelFlags & { json?: boolean }) => {
      const { family, config } = modelFromFlags(flags);
      // Counted on the built network, not from a formula, so the figures are those of the weights a user trains.
      const networks = family.buildNetworks(config);
      const parts = family.parameterCounts(networks);
      for (const network of Object.values(networks)) network.dispose();
      const total = parts.reduce((sum, { parameters }) => sum + parameters, 0);
      const trainingOnly = family.trainingParameterCounts?.(config) ?? [];
      if (flags.json) {
        console.log(JSON.stringify({ model: flags.model, preset: flags.config, config, parameters: { parts, total },
          ...(trainingOnly.length > 0 && { trainingOnly }) }, null, 2));
        return;
      }
      const width = Math.max(...[...parts, ...trainingOnly].map(({ part }) => part.length), 'total'.length);
      const count = (n: number) => n.toLocaleString('en-US').padStart(total.toLocaleString('en-US').length);
      console.log(`model   ${flags.model}: ${family.description}`);
      console.log(`config  ${flags.config}${flags.conditions === undefined ? '' : ` with ${flags.conditions} conditions`}`);
      for (const [key, value] of Object.entries(config as object)) console.log(`  ${key.padEnd(width)}  ${JSON.stringify(value)}`);
      console.log('parameters');
      for (const { part, parameters } of parts) console.log(`  ${part.padEnd(width)}  ${count(parameters)}`);
      console.log(`  ${'total'.padEnd(width)}  ${count(total)}`);
      if (trainingOnly.length > 0) {
        console.log('training only (in checkpoints, not in the run\'s weights)');
        for (const { part, parameters } of trainingOnly) console.log(`  ${part.padEnd(width)}  ${count(parameters)}`);
      }
    });
}

function parseConditions(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

/** A built-in model as `models list` prints it: what it is, what it was trained on, and its held-out figures per target. */
export function describeBuiltin(model: BuiltinModel): string {
  const { tasks } = model.heldout;
  const figures = (scores: BuiltinScores) => `${scores.psnr.toFixed(2).padStart(6)} dB ${scores.ssim.toFixed(3)}`;
  const label = (task: BuiltinTaskFigures) => `${task.target} from ${task.sources.join(', ')}`;
  const width = Math.max(...tasks.map((task) => label(task).length));
  return [
    `${BUILTIN_PREFIX}${model.name}  ${model.description} (${model.weights.dtype}, ${(weightsBytes(model) / 2 ** 20).toFixed(1)} MiB, ${model.training.steps} steps)`,
    `  ${phantomTrainingNotice(model)}`,
    `  on ${tasks[0].cases.length} held-out phantoms (seed ${model.heldout.phantomSeed}), ${describeBuiltinSampler(model.heldout.sampler)}, `
      + `${model.heldout.mask}-masked, ${model.heldout.units}; mean brain PSNR and SSIM:`,
    `  ${''.padEnd(width)}  ${'model'.padStart(15)}  ${'trained affine'.padStart(15)}  ${'oracle affine'.padStart(15)}  cases won`,
    ...tasks.map((task) => {
      const mean = (pick: (c: BuiltinCaseFigures) => BuiltinScores): BuiltinScores => ({
        psnr: task.cases.reduce((s, c) => s + pick(c).psnr, 0) / task.cases.length,
        ssim: task.cases.reduce((s, c) => s + pick(c).ssim, 0) / task.cases.length,
      });
      const wins = task.cases.filter((c) => c.model.psnr > c.trainedAffine.psnr).length;
      return `  ${label(task).padEnd(width)}  ${figures(mean((c) => c.model))}  ${figures(mean((c) => c.trainedAffine))}  `
        + `${figures(mean((c) => c.oracleAffine))}  ${wins} of ${task.cases.length}`;
    }),
    ...(model.note === undefined ? [] : [`  note: ${model.note}`]),
  ].join('\n');
}

/** The bytes of all of a built-in model's weights files. */
function weightsBytes(model: BuiltinModel): number {
  return model.weights.files.reduce((sum, { bytes }) => sum + bytes, 0);
}

/** "DDIM 50 steps, η 0, seed 7". */
export function describeBuiltinSampler(sampler: BuiltinSampler): string {
  return `${sampler.kind.toUpperCase()} ${sampler.steps} steps, η ${sampler.eta}, seed ${sampler.seed}`;
}
