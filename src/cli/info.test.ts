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

  test('large host blocks come from the heap and are kept for reuse, unless MRSYNTH_HOST_ALLOCATOR=default', () => {
    assert.equal(info(undefined).hostAllocator, 'glibc heap, freed memory kept for reuse');
    assert.equal(info(undefined, { MRSYNTH_HOST_ALLOCATOR: 'default' }).hostAllocator, 'glibc default');
  });

  test('reports the libtorch it runs on and at least one intra-op thread', () => {
    const summary = info(undefined);
    assert.match(String(summary.libtorch), /^\d+\.\d+\.\d+/);
    assert.ok(Number.isInteger(summary.intraOpThreads) && (summary.intraOpThreads as number) >= 1);
    assert.ok(Array.isArray(summary.devices) && (summary.devices as string[]).includes('cpu'));
  });
});
