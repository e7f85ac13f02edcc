import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeOrphanedTemporaries } from './atomic.js';
import { FolderLock, LOCK_FILE } from './folderLock.js';
import { processIdentity } from './processes.js';

/** Another process that takes the lock on `dir` and holds it until killed; resolves once it holds it. */
function holder(dir: string): Promise<ChildProcess> {
  const entry = JSON.stringify(fileURLToPath(new URL('folderLock.ts', import.meta.url)));
  const script = `import { FolderLock } from ${entry}; await FolderLock.acquire(${JSON.stringify(dir)}, 'test'); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('locked')) done(child); });
    child.on('exit', (code) => fail(new Error(`the lock holder exited with ${code}`)));
  });
}

const exited = (child: ChildProcess) => new Promise((done) => { if (child.exitCode !== null || child.signalCode !== null) done(undefined); else child.on('exit', done); });

/** The pid of a process that has run and exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('folder locks and the leftovers of interrupted writes', () => {
  let root: string;
  before(() => { root = mkdtempSync(join(tmpdir(), 'mrsynth-lock-')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a second process is refused while the first holds the lock; once it is killed, its stale lock is taken over', async () => {
    const dir = mkdtempSync(join(root, 'shared-'));
    const child = await holder(dir);
    try {
      await assert.rejects(FolderLock.acquire(dir, 'train cwdm'),
        new RegExp(`train cwdm: .*shared-\\w+ is in use by process ${child.pid} \\(.*\\); wait for it to end or stop it`));
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    const notices: string[] = [];
    const lock = await FolderLock.acquire(dir, 'train cwdm', (m) => notices.push(m));
    assert.match(notices.join('\n'), new RegExp(`removing the lock of process ${child.pid} .*which is gone`));
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    await assert.rejects(FolderLock.acquire(dir, 'again'), /in use by process/, 'this process holds it too');
    lock.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
  });

  test('a lock whose pid now belongs to another process (pid reuse) is stale: the start time tells them apart', async () => {
    const dir = mkdtempSync(join(root, 'reused-'));
    const me = processIdentity()!;
    if (me.start === null) return; // no /proc here: only the pid can be checked
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, start: `${me.start}0`, command: 'old', since: 'then' }));
    const notices: string[] = [];
    const lock = await FolderLock.acquire(dir, 'x', (m) => notices.push(m));
    assert.match(notices.join('\n'), /removing the lock of process \d+ \(old, since then\), which is gone/);
    lock.release();
  });

  test('temporary files of interrupted writes are removed when their writer is gone, and only then', async () => {
    const dir = mkdtempSync(join(root, 'tmp-'));
    const dead = `.checkpoint.safetensors.tmp-${deadPid()}-0123abcd`;
    const mine = `.weights.safetensors.tmp-${process.pid}-0123abcd`;
    const other = `.log.jsonl.tmp-${deadPid()}-0123abcd`;
    for (const name of [dead, mine, other, 'checkpoint.safetensors', '.tmp-notours']) writeFileSync(join(dir, name), 'x'.repeat(10));
    const onlyCheckpoint = await removeOrphanedTemporaries(dir, ['checkpoint.safetensors']);
    assert.deepEqual(onlyCheckpoint, { files: [join(dir, dead)], bytes: 10 });
    const rest = await removeOrphanedTemporaries(dir);
    assert.deepEqual(rest.files, [join(dir, other)]);
    for (const kept of [mine, 'checkpoint.safetensors', '.tmp-notours']) assert.ok(existsSync(join(dir, kept)), kept);
  });
});
