import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A runner for one command, as a user would run it: a fresh process with a fresh commander program holding
 * only that command (loading every command would transpile and load the whole tool, libtorch included, per
 * call). Errors are printed and set exit code 1, as the real entry point does. `env` replaces the environment.
 */
export function commandRunner(moduleUrl: URL, registerName: string,
  options: { env?: NodeJS.ProcessEnv } = {}): (...args: string[]) => CliResult {
  const entry = fileURLToPath(moduleUrl);
  const script = `import { Command } from 'commander'; import { ${registerName} } from ${JSON.stringify(entry)};
    const program = new Command('mrsynth').exitOverride(); ${registerName}(program);
    try { await program.parseAsync(process.argv.slice(1), { from: 'user' }); }
    catch (error) { if (!error.code) console.error(error.message); process.exitCode = 1; }`;
  return (...args) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}

/**
 * A runner for one command inside the test's own process (for commands whose work, not their start-up, is under
 * test): `register` adds the command to a fresh program, `prefix` names it (e.g. ['train', 'cwdm']). Returns the
 * exit code the command set, then restores the previous one (the test runner's); errors propagate as rejections.
 */
export function inProcessCommand(register: (program: Command) => void, ...prefix: string[]): (...args: string[]) => Promise<number> {
  return async (...args) => {
    const program = new Command('mrsynth').exitOverride();
    register(program);
    const previous = process.exitCode;
    process.exitCode = undefined;
    try {
      await program.parseAsync([...prefix, ...args], { from: 'user' });
      return Number(process.exitCode ?? 0);
    } finally {
      process.exitCode = previous;
    }
  };
}

/**
 * Like {@link inProcessCommand}, and also returns what the command printed on stdout (strings; the test runner's own
 * reports to its parent, bytes, pass through).
 */
export function capturedCommand(register: (program: Command) => void, ...prefix: string[]):
  (...args: string[]) => Promise<{ stdout: string; exitCode: number }> {
  const run = inProcessCommand(register, ...prefix);
  return async (...args) => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== 'string') return write(chunk, ...rest);
      lines.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      const exitCode = await run(...args);
      return { stdout: lines.join(''), exitCode };
    } finally {
      process.stdout.write = write;
    }
  };
}
