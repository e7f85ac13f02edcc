import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { distributedBackends } from '../tensor/index.js';
import { readLaunchEnvironment } from './index.js';
import { freePort } from '../util/freePort.testSupport.js';

const job = { MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500', WORLD_SIZE: '4', RANK: '3', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2' };

describe('readLaunchEnvironment', () => {
  test('a single process has no launch environment', () => {
    assert.equal(readLaunchEnvironment({ MASTER_ADDR: 'x', MASTER_PORT: '1' }), undefined);
  });

  test('reads torchrun\'s variables, with GLOO_SOCKET_IFNAME as the interface', () => {
    assert.deepEqual(readLaunchEnvironment({ ...job, GLOO_SOCKET_IFNAME: ' eth1 ' }),
      { masterAddr: '10.0.0.1', masterPort: 29500, worldSize: 4, rank: 3, localRank: 1, localWorldSize: 2, interface: 'eth1' });
    assert.deepEqual(readLaunchEnvironment({ MASTER_ADDR: 'h', MASTER_PORT: '1', WORLD_SIZE: '1', RANK: '0' }),
      { masterAddr: 'h', masterPort: 1, worldSize: 1, rank: 0, localRank: 0, localWorldSize: 1 });
  });

  test('refuses a partial or inconsistent set, naming the variable and its value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...job, WORLD_SIZE: undefined as unknown as string }, /WORLD_SIZE is not set/],
      [{ ...job, RANK: '4' }, /RANK must be an integer in \[0, 3\], got '4'/],
      [{ ...job, RANK: '-1' }, /RANK must be an integer in \[0, 3\], got '-1'/],
      [{ ...job, WORLD_SIZE: 'two' }, /WORLD_SIZE must be an integer in \[1, ∞\], got 'two'/],
      [{ ...job, MASTER_ADDR: ' ' }, /MASTER_ADDR is not set/],
      [{ ...job, MASTER_PORT: '70000' }, /MASTER_PORT must be an integer in \[1, 65535\], got '70000'/],
      [{ ...job, LOCAL_RANK: '2' }, /LOCAL_RANK must be an integer in \[0, 1\], got '2'/],
      [{ ...job, LOCAL_WORLD_SIZE: '5' }, /LOCAL_WORLD_SIZE must be an integer in \[1, 4\], got '5'/],
    ];
    for (const [env, message] of cases) {
      const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
      assert.throws(() => readLaunchEnvironment(defined), message);
    }
  });
});

describe('joinProcessGroup', { skip: distributedBackends().includes('gloo') ? false : 'this build has no Gloo' }, () => {
  test('workers given only torchrun\'s variables (and GLOO_SOCKET_IFNAME=lo) join one group and sum across it', async () => {
    const port = await freePort();
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const tensorIndex = fileURLToPath(new URL('../tensor/index.ts', import.meta.url));
    const script = `import * as d from ${JSON.stringify(index)}; import * as t from ${JSON.stringify(tensorIndex)};
      const launch = d.readLaunchEnvironment();
      const group = d.joinProcessGroup(launch, 30000);
      const x = t.tensor([launch.rank + 1]);
      group.allReduceSum([x]);
      group.close();
      console.log(JSON.stringify({ rank: group.rank, sum: x.toTypedArray()[0] }));`;
    const outputs = await Promise.all([0, 1].map((rank) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), WORLD_SIZE: '2', RANK: String(rank), LOCAL_RANK: String(rank),
          LOCAL_WORLD_SIZE: '2', GLOO_SOCKET_IFNAME: 'lo', MRSYNTH_THREADS: '1' },
      });
      let out = '';
      child.stdout.on('data', (c) => { out += c; });
      child.stderr.on('data', (c) => { out += c; });
      child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`rank ${rank} exited ${code}: ${out}`))));
    })));
    assert.deepEqual(outputs.map((o) => JSON.parse(o)), [{ rank: 0, sum: 3 }, { rank: 1, sum: 3 }]);
  });
});
