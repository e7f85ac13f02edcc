import { type Command, Option } from 'commander';
import type { ReconstructionOutcome } from '../completion/index.js';
import { PRECISIONS, type Precision } from '../nn/index.js';
import { parseGiB } from './optionParsers.js';
import { BUILTIN_HELP, announceBuiltinModels } from './builtinNotice.js';
import { shortPath, summarise } from './synthesisProgress.js';

interface ReconstructFlags {
  model: string;
  out: string;
  precision: Precision;
  force?: boolean;
  verify: boolean;
  maxMemory?: number;
}

/** `mrsynth reconstruct`: each case's contrasts through a run's codec and back (see src/completion/reconstructCases.ts). */
export function registerReconstructCommand(program: Command): void {
  program.command('reconstruct')
    .description('pass each contrast of each case the model knows through the run\'s codec and back (ALDM: its VQ-GAN autoencoder, from a run of any stage), '
      + 'as sampling decodes: what the latent keeps of a scan, the bound on every synthesis of the run. Writes <case>_<contrast>.nii.gz '
      + 'into --out (mirroring the case folders, so that eval --ref DATASET scores them), on the scan\'s grid and geometry, in the run\'s units, '
      + 'with sidecars')
    .argument('<path>', 'a case folder, a data set folder or a manifest')
    .requiredOption('--model <run>', `the run folder ${BUILTIN_HELP}`)
    .requiredOption('--out <dir>', 'the folder to write into (never the case folders: the outputs take the scans\' own names)')
    .addOption(new Option('--precision <p>', 'what the networks run in').choices(PRECISIONS).default('fp32'))
    .option('--force', 'replace earlier reconstructions')
    .option('--max-memory <GiB>', 'refuse a case whose estimated need exceeds this (default: the machine\'s memory)', parseGiB)
    .option('--no-verify', 'skip checking the run\'s weights against their recorded checksums')
    .action(async (path: string, flags: ReconstructFlags) => {
      const { reconstructCases } = await import('../completion/index.js');
      await announceBuiltinModels([flags.model]);
      const outcomes = await reconstructCases({
        input: path, run: flags.model, out: flags.out, precision: flags.precision, force: flags.force, verify: flags.verify,
        memoryLimit: flags.maxMemory === undefined ? undefined : flags.maxMemory * 2 ** 30,
        onOutcome: (outcome) => process.stdout.write(`${describeReconstruction(outcome)}\n`),
      });
      summarise(outcomes, [['reconstructed', 'reconstructed'], ['already-done', 'already done'], ['refused', 'refused'], ['failed', 'failed']], 'reconstructed');
    });
}

function describeReconstruction(outcome: ReconstructionOutcome): string {
  switch (outcome.status) {
    case 'reconstructed': {
      const images = outcome.files.filter((file) => file.endsWith('.nii.gz') || file.endsWith('.nii'));
      return `${outcome.caseId}: reconstructed ${images.map(shortPath).join(', ')} (${outcome.seconds.toFixed(1)} s)`;
    }
    case 'already-done': return `${outcome.caseId}: already done (${outcome.outputs.map(shortPath).join(', ')}); pass --force to redo it`;
    case 'refused': return `${outcome.caseId}: refused: it ${outcome.reason}`;
    case 'failed': return `${outcome.caseId}: failed: ${outcome.reason}`;
  }
}
