import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAUNCHED_BY, workerEnvironment } from './index.js';

const plan = { nprocPerNode: 4, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 29500, args: ['train', 'cwdm'] };

test('workerEnvironment: torchrun\'s variables for each local worker, and the cores divided among them', () => {
  const env = workerEnvironment(plan, 2, { PATH: '/bin' }, 16);
  assert.deepEqual({ ...env, [LAUNCHED_BY]: undefined }, {
    PATH: '/bin', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29500', WORLD_SIZE: '8', RANK: '6', LOCAL_RANK: '2', LOCAL_WORLD_SIZE: '4', GROUP_RANK: '1',
    MRSYNTH_THREADS: '4', [LAUNCHED_BY]: undefined,
  });
  assert.equal(env[LAUNCHED_BY], String(process.pid));
  // The user's thread count wins; a worker never gets fewer than one thread.
  assert.equal(workerEnvironment(plan, 0, { MRSYNTH_THREADS: '3' }, 16).MRSYNTH_THREADS, '3');
  assert.equal(workerEnvironment(plan, 0, {}, 2).MRSYNTH_THREADS, '1');
  // One machine: loopback, unless the user named an interface.
  const single = { ...plan, nnodes: 1, nodeRank: 0 };
  assert.equal(workerEnvironment(single, 0, {}, 16).GLOO_SOCKET_IFNAME, '127.0.0.1');
  assert.equal(workerEnvironment(single, 0, { GLOO_SOCKET_IFNAME: 'eth1' }, 16).GLOO_SOCKET_IFNAME, 'eth1');
  assert.equal(workerEnvironment(plan, 0, {}, 16).GLOO_SOCKET_IFNAME, undefined);
});
