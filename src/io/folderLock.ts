/**
 * An exclusive lock on a folder (a run folder), so that two processes never train into one run at once: a `.lock`
 * file created with O_EXCL holding the owner's pid, start time and command. A lock whose owner is gone (killed with
 * kill -9, say) is stale: the next owner removes it, and says so.
 */
import { promises as fs, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning, processIdentity, type ProcessIdentity } from './processes.js';

export const LOCK_FILE = '.lock';

interface LockRecord extends ProcessIdentity {
  readonly command: string;
  readonly since: string;
}

export class FolderLock {
  #released = false;
  readonly #onExit = () => this.release();

  private constructor(readonly path: string, readonly record: LockRecord) {
    // A process that exits without releasing (process.exit on a second Ctrl-C) still removes its lock.
    process.on('exit', this.#onExit);
  }

  /**
   * Locks `dir` (which must exist) for this process; `what` names the work in the refusal when another running
   * process holds it. A stale lock is removed, with `notice` told whose it was.
   */
  static async acquire(dir: string, what: string, notice: (message: string) => void = () => {}): Promise<FolderLock> {
    const path = join(dir, LOCK_FILE);
    const record: LockRecord = {
      ...processIdentity()!, command: (process.argv.slice(1).join(' ') || process.argv[0]).slice(0, 500), since: new Date().toISOString(),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.writeFile(path, `${JSON.stringify(record)}\n`, { flag: 'wx' });
        return new FolderLock(path, record);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const holder = readHolder(path);
      if (holder !== undefined && isRunning(holder)) {
        throw new Error(`${what}: ${dir} is in use by process ${holder.pid} (${holder.command || 'unknown command'}, since ${holder.since}); `
          + `wait for it to end or stop it (a lock left by a process that is gone is removed by itself)`);
      }
      notice(holder === undefined ? `removing an unreadable lock file ${path}`
        : `removing the lock of process ${holder.pid} (${holder.command || 'unknown command'}, since ${holder.since}), which is gone`);
      await fs.rm(path, { force: true });
    }
  }

  /** Removes the lock, if it is still this process's. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    process.off('exit', this.#onExit);
    const holder = readHolder(this.path);
    if (holder !== undefined && holder.pid === this.record.pid && holder.start === this.record.start) {
      try { unlinkSync(this.path); } catch { /* already gone */ }
    }
  }
}

function readHolder(path: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockRecord>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid, start: typeof parsed.start === 'string' ? parsed.start : null, command: String(parsed.command ?? ''), since: String(parsed.since ?? '?'),
    };
  } catch {
    return undefined;
  }
}
