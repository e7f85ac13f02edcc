import { Command } from 'commander';
import { launchWorkers } from '../distributed/index.js';
import { parseNonNegativeInteger, parsePort, parsePositiveInteger } from './optionParsers.js';

interface LaunchFlags {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
}

/**
 * `mrsynth launch … -- train …`: starts this node's workers of a data-parallel training job with torchrun's
 * variables (see distributed/launcher.ts) and supervises them.
 */
export function registerLaunchCommand(program: Command): void {
  program.command('launch')
    .description('run a training as several processes that train together (data parallel over c10d/Gloo), like torchrun: '
      + 'mrsynth launch --nproc-per-node 2 -- train cwdm --data DIR --target t1ce --out RUN; on several machines run it on each with '
      + '--nnodes, --node-rank and rank 0\'s --master-addr')
    .requiredOption('--nproc-per-node <n>', 'worker processes on this machine', parsePositiveInteger)
    .option('--nnodes <n>', 'machines in the job', parsePositiveInteger, 1)
    .option('--node-rank <r>', 'this machine\'s index among them (0 serves the rendezvous)', parseNonNegativeInteger, 0)
    .option('--master-addr <host>', 'host of node 0, which every worker can reach', '127.0.0.1')
    .option('--master-port <port>', 'a free port on node 0 for the rendezvous', parsePort, 29500)
    .argument('<command...>', 'the mrsynth command each worker runs, after --: train <method> …')
    .action(async (command: string[], flags: LaunchFlags) => {
      const who = 'mrsynth launch';
      if (command[0] !== 'train') {
        throw new Error(`${who}: the workers run a training (-- train <method> …); got '${command.join(' ')}'`);
      }
      if (flags.nodeRank >= flags.nnodes) throw new Error(`${who}: --node-rank must be below --nnodes (${flags.nnodes}), got ${flags.nodeRank}`);
      const world = flags.nnodes * flags.nprocPerNode;
      process.stderr.write(`${who}: ${flags.nprocPerNode} worker(s) on this machine (node ${flags.nodeRank} of ${flags.nnodes}, ${world} in all), `
        + `rendezvous at ${flags.masterAddr}:${flags.masterPort}\n`);
      const { exitCode } = await launchWorkers({ ...flags, args: command }, (message) => process.stderr.write(`${who}: ${message}\n`));
      process.exitCode = exitCode;
    });
}
