/** Distributed jobs on c10d: the launch environment (torchrun's variables) and joining the job's process group. */
export { joinProcessGroup, readLaunchEnvironment } from './launchEnvironment.js';
export type { LaunchEnvironment } from './launchEnvironment.js';
