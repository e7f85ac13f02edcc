/**
 * c10d process groups between real processes over loopback: each test starts its ranks as child processes that join
 * one group through a TCPStore on a free port and print what they saw as JSON.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { distributedBackends } from './index.js';
import { freePort } from '../util/freePort.testSupport.js';

const INDEX = fileURLToPath(new URL('./index.ts', import.meta.url));
const skip = distributedBackends().includes('gloo') ? false : 'this build has no Gloo (install libgloo-dev, then npm run build:native)';

interface RankResult { code: number | null; stdout: string; stderr: string }

/** Runs `body` (module code with `group`, `rank`, `t` = the tensor module in scope) in `world` ranks; `body` prints JSON. */
async function runRanks(world: number, body: string, options: { ranks?: number[]; timeoutMs?: number; collectiveTimeoutMs?: number; env?: (rank: number) => Record<string, string> } = {}):
  Promise<RankResult[]> {
  const port = await freePort();
  const script = `import * as t from ${JSON.stringify(INDEX)};
    const rank = Number(process.env.RANK);
    let group;
    try {
      group = t.ProcessGroup.create({ masterAddr: '127.0.0.1', masterPort: ${port}, rank, worldSize: ${world}, timeoutMs: ${options.timeoutMs ?? 30_000},
        collectiveTimeoutMs: ${options.collectiveTimeoutMs ?? options.timeoutMs ?? 30_000}, interface: '127.0.0.1' });
    } catch (error) { console.log(JSON.stringify({ error: error.message })); process.exit(3); }
    try { ${body} } catch (error) { console.log(JSON.stringify({ error: error.message })); process.exit(4); }`;
  const ranks = options.ranks ?? Array.from({ length: world }, (_, r) => r);
  return Promise.all(ranks.map((rank) => new Promise<RankResult>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, RANK: String(rank), MRSYNTH_THREADS: '1', ...options.env?.(rank) } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  })));
}

const parse = (r: RankResult) => JSON.parse(r.stdout.trim().split('\n').at(-1)!);

describe('ProcessGroup (c10d, Gloo, loopback)', { skip }, () => {
  test('all-reduce sums over the ranks, broadcast copies the root\'s tensor, barrier and close', async () => {
    const results = await runRanks(2, `
      const a = t.tensor([rank + 1, 10 * (rank + 1), -rank, 0.5], { dtype: 'float32' });
      const b = t.full([2, 3], rank === 0 ? 2 : 5);
      group.allReduceSum([a, b]);
      const c = t.tensor([rank, rank, rank], { dtype: 'float64' });
      group.broadcast(c, 1);
      group.barrier();
      let mixed = '';
      try { group.allReduceSum([t.ones([2]), t.ones([2], { dtype: 'float64' })]); } catch (error) { mixed = error.message; }
      group.close();
      let closed = '';
      try { group.barrier(); } catch (error) { closed = error.message; }
      console.log(JSON.stringify({ a: [...a.toTypedArray()], b: [...b.toTypedArray()], c: [...c.toTypedArray()], closed, mixed }));`);
    for (const [rank, r] of results.entries()) {
      assert.equal(r.code, 0, `rank ${rank}: ${r.stdout}${r.stderr}`);
      assert.deepEqual(parse(r), { a: [3, 30, -1, 1], b: [7, 7, 7, 7, 7, 7], c: [1, 1, 1], closed: 'ProcessGroup.barrier: the group is closed',
        mixed: 'allReduce: one bucket holds one dtype, got Float and Double' });
    }
  });

  test('a rank that finds no rendezvous fails with the rendezvous and the timeout named, not a hang', async () => {
    const [alone] = await runRanks(2, 'console.log("{}")', { ranks: [1], timeoutMs: 1500 });
    assert.equal(alone.code, 3, alone.stdout + alone.stderr);
    assert.match(parse(alone).error, /ProcessGroup\.create \(rank 1 of 2, rendezvous 127\.0\.0\.1:\d+\): /);
  });

  test('a rank that dies leaves the others with an error from their next collective, not a hang', async () => {
    const results = await runRanks(2, `
      group.barrier();
      if (rank === 1) process.exit(9);
      const a = t.ones([4]);
      group.allReduceSum([a]);
      console.log(JSON.stringify({ survived: true }));`, { timeoutMs: 120_000 });
    assert.equal(results[1].code, 9);
    assert.equal(results[0].code, 4, results[0].stdout + results[0].stderr);
    assert.match(parse(results[0]).error, /allReduce/);
  });

  test('a collective\'s own timeout overrides the group\'s: a wait for a slow rank 0 outlasts it, a shorter one fails', async () => {
    const results = await runRanks(2, `
      const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      if (rank === 0) sleep(1500);
      group.barrier({ timeoutMs: 20000 });
      let short = '';
      if (rank === 0) sleep(1500);
      try { group.barrier(); } catch (error) { short = error.message; }
      console.log(JSON.stringify({ short }));`, { collectiveTimeoutMs: 300 });
    assert.equal(results[1].code, 0, results[1].stdout + results[1].stderr);
    assert.match(parse(results[1]).short, /barrier.*(Timed out|timeout)/i);
  });

  test('two workers given one rank are refused, naming the rank', async () => {
    const results = await runRanks(3, 'group.barrier(); console.log("{}")', { ranks: [0, 1, 1], timeoutMs: 4000 });
    const refused = results.filter((r) => r.code === 3 && /rank 1 joined twice: two workers were started with RANK=1/.test(parse(r).error));
    assert.equal(refused.length, 1, results.map((r) => r.stdout + r.stderr).join('\n'));
  });

  test('bad options are refused before any connection', async () => {
    const { ProcessGroup } = await import('./index.js');
    assert.throws(() => ProcessGroup.create({ masterAddr: '127.0.0.1', masterPort: 29500, rank: 2, worldSize: 2 }), /rank must be an integer in \[0, 1\], got 2/);
    assert.throws(() => ProcessGroup.create({ masterAddr: '127.0.0.1', masterPort: 0, rank: 0, worldSize: 1 }), /port must be in 1–65535, got 0/);
    assert.throws(() => ProcessGroup.create({ masterAddr: '127.0.0.1', masterPort: 29500, rank: 0, worldSize: 0 }), /world size must be a positive integer/);
  });
});
