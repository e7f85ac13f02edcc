#!/usr/bin/env node
/**
 * The `mrsynth` command line. Each command lives in its own module and registers itself here; this file
 * only assembles them, so nothing else imports the CLI.
 */
import { Command, Option } from 'commander';
import { parseLimits, setReaderLimits } from '../io/index.js';
import { registerBaselineCommand } from './baseline.js';
import { registerCompleteCommand } from './complete.js';
import { registerConvertCommand } from './convert.js';
import { registerDataCommand } from './data.js';
import { registerDemoCommand } from './demo.js';
import { registerEvalCommand } from './eval.js';
import { registerInfoCommand } from './info.js';
import { registerLaunchCommand } from './launch.js';
import { registerModelsCommand } from './models.js';
import { registerPhantomCommand } from './phantom.js';
import { registerReconstructCommand } from './reconstruct.js';
import { registerReportCommand } from './report.js';
import { registerServeCommand } from './serve.js';
import { registerTrainCommand } from './train.js';
import { registerTranslateCommand } from './translate.js';
import { registerViewCommand } from './view.js';
import { packageVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('mrsynth')
    .description('Synthesise missing MRI contrasts in 3D (cWDM, ALDM) — train, run and evaluate on libtorch')
    .version(packageVersion())
    .showHelpAfterError()
    .addOption(new Option('--limit <NAME=VALUE>', 'raise a limit on what an untrusted file may make mrsynth allocate, '
      + 'for files you trust (e.g. pickleValues=5e7,checkpointEntries=5e6; repeatable); the error that meets a limit names it')
      .argParser((value: string, previous: string[] = []) => [...previous, value]))
    .hook('preAction', (command) => {
      const limits = command.opts<{ limit?: string[] }>().limit;
      if (limits !== undefined) setReaderLimits(parseLimits(limits, '--limit'));
    });
  registerInfoCommand(program);
  registerDemoCommand(program);
  registerPhantomCommand(program);
  registerDataCommand(program);
  registerTrainCommand(program);
  registerLaunchCommand(program);
  registerCompleteCommand(program);
  registerTranslateCommand(program);
  registerReconstructCommand(program);
  registerBaselineCommand(program);
  registerEvalCommand(program);
  registerViewCommand(program);
  registerReportCommand(program);
  registerServeCommand(program);
  registerModelsCommand(program);
  registerConvertCommand(program);
  return program;
}

// `mrsynth … | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

buildProgram().parseAsync(process.argv).catch((error: unknown) => {
  // Expected failures (bad input, refused operations) print their message only; the stack is noise to a user.
  console.error(`mrsynth: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.MRSYNTH_DEBUG) console.error(error);
  process.exitCode = 1;
});
