import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./info.ts', import.meta.url));
const script = `import { Command } from 'commander'; import { registerInfoCommand } from ${JSON.stringify(entry)};
  const program = new Command('mrsynth'); registerInfoCommand(program); await program.parseAsync(['info', '--json'], { from: 'user' });`;

/** `mrsynth info --json` in a fresh process whose environment has OMP_WAIT_POLICY set to `policy` or unset. */
function info(policy: string | undefined, extraEnv: Record<string, string> = {}): Record<string, unknown> {
  const env = { ...process.env, ...extraEnv };
  delete env.OMP_WAIT_POLICY;
  if (policy !== undefined) env.OMP_WAIT_POLICY = policy;
  if (!('MRSYNTH_HOST_ALLOCATOR' in extraEnv)) delete env.MRSYNTH_HOST_ALLOCATOR;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('mrsynth info', () => {
  test('OpenMP workers sleep when idle unless the user chose otherwise, and info says which', () => {
    assert.equal(info(undefined).openmpWaitPolicy, 'PASSIVE');
    assert.equal(info('ACTIVE').openmpWaitPolicy, 'ACTIVE');
  });

  test('host memory is set up as MRSYNTH_HOST_ALLOCATOR says, balanced when unset; a bad value is a clear error', () => {
    assert.equal(info(undefined).hostAllocator, 'balanced');
    for (const choice of ['heap', 'default', 'balanced']) assert.equal(info(undefined, { MRSYNTH_HOST_ALLOCATOR: choice }).hostAllocator, choice);
    const env = { ...process.env, MRSYNTH_HOST_ALLOCATOR: 'jemalloc' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /MRSYNTH_HOST_ALLOCATOR must be one of balanced, heap, default, got 'jemalloc'/);
  });

  test('reports the libtorch it runs on and at least one intra-op thread', () => {
    const summary = info(undefined);
    assert.match(String(summary.libtorch), /^\d+\.\d+\.\d+/);
    assert.ok(Number.isInteger(summary.intraOpThreads) && (summary.intraOpThreads as number) >= 1);
    assert.ok(Array.isArray(summary.devices) && (summary.devices as string[]).includes('cpu'));
  });
});
