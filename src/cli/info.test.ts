import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { commandRunner, type CliResult } from './commandRunner.testSupport.js';

/** `mrsynth info --json` in a fresh process; `settings` sets or (undefined) unsets the variables that shape start-up. */
function run(settings: { OMP_WAIT_POLICY?: string; MRSYNTH_HOST_ALLOCATOR?: string }): CliResult {
  const env = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  delete env.MRSYNTH_HOST_ALLOCATOR;
  return commandRunner(new URL('./info.ts', import.meta.url), 'registerInfoCommand', { env: { ...env, ...settings } })('info', '--json');
}

function info(settings: { OMP_WAIT_POLICY?: string; MRSYNTH_HOST_ALLOCATOR?: string } = {}): Record<string, unknown> {
  const result = run(settings);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('mrsynth info', () => {
  test('OpenMP workers sleep when idle unless the user chose otherwise, and info says which', () => {
    assert.equal(info().openmpWaitPolicy, 'PASSIVE');
    assert.equal(info({ OMP_WAIT_POLICY: 'ACTIVE' }).openmpWaitPolicy, 'ACTIVE');
  });

  test('host memory is set up as MRSYNTH_HOST_ALLOCATOR says, balanced when unset; a bad value is a clear error', () => {
    assert.equal(info().hostAllocator, 'balanced');
    for (const choice of ['heap', 'default', 'balanced']) assert.equal(info({ MRSYNTH_HOST_ALLOCATOR: choice }).hostAllocator, choice);
    const refused = run({ MRSYNTH_HOST_ALLOCATOR: 'jemalloc' });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /MRSYNTH_HOST_ALLOCATOR must be one of balanced, heap, default, got 'jemalloc'/);
  });

  test('reports the libtorch it runs on and at least one intra-op thread', () => {
    const summary = info();
    assert.match(String(summary.libtorch), /^\d+\.\d+\.\d+/);
    assert.ok(Number.isInteger(summary.intraOpThreads) && (summary.intraOpThreads as number) >= 1);
    assert.ok(Array.isArray(summary.devices) && (summary.devices as string[]).includes('cpu'));
    // Debian's libtorch with Gloo's headers present (setup installs libgloo-dev) builds the Gloo backend.
    if (existsSync('/usr/include/gloo/config.h') && process.env.LIBTORCH_DIR === undefined) assert.deepEqual(summary.distributedBackends, ['gloo']);
  });
});
