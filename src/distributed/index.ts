/**
 * Distributed jobs on c10d: the launch environment (torchrun's variables), joining the job's process group, and
 * data parallelism over it for the trainer.
 */
export { joinProcessGroup, readLaunchEnvironment } from './launchEnvironment.js';
export type { LaunchEnvironment } from './launchEnvironment.js';
export { DataParallel } from './dataParallel.js';
export { LAUNCHED_BY, exitWithLauncher, launchWorkers, workerEnvironment } from './launcher.js';
export type { LaunchOutcome, LaunchPlan } from './launcher.js';
