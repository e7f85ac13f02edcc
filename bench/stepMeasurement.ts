/** What a benchmark child measures of one kind of step, and the loop that measures it (bench:cwdm, bench:aldm). */

export interface Measurement {
  /** Wall seconds per step, in order (after any warm-up the caller ran). */
  seconds: number[];
  /** Process CPU seconds (user + system) per step divided by the intra-op thread count. */
  cpuSeconds: number[];
  maxRssBytes: number;
  threads: number;
}

/**
 * Runs `step` `repeats` times, timing each, and reads the process's peak RSS at the end; `threads`: the engine's
 * intra-op threads (passed in, so that this module loads no engine: the benchmarks' parents never do).
 */
export function measureSteps(step: () => void, repeats: number, threads: number): Measurement {
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    step();
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    const used = process.cpuUsage(cpu);
    cpuSeconds.push((used.user + used.system) / 1e6 / threads);
  }
  return { seconds, cpuSeconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, threads };
}
