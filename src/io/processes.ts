/**
 * Telling whether the process that left something behind (a lock, a temporary file) is still running. A pid alone
 * is not enough: pids are reused, so on Linux a process is also named by its start time (boot id and clock ticks
 * since boot, from /proc), and a living process with the same pid but another start time is someone else.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** `<boot id>/<start ticks>` where /proc tells it; null elsewhere, where only the pid can be checked. */
  readonly start: string | null;
}

/** The identity of process `pid` (default: this one), or undefined if no such process runs. */
export function processIdentity(pid: number = process.pid): ProcessIdentity | undefined {
  if (!isAlive(pid)) return undefined;
  return { pid, start: startOf(pid) };
}

/** Whether the process `identity` names is still running: its pid is alive and, where known, started when it did. */
export function isRunning(identity: ProcessIdentity): boolean {
  if (!isAlive(identity.pid)) return false;
  if (identity.start === null) return true;
  const now = startOf(identity.pid);
  return now === null || now === identity.start;
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function startOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name before it is in parentheses and may itself hold spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}/${fields[19]}`;
  } catch {
    return null;
  }
}
