/**
 * The controller's pid file: written once it listens, removed when it exits, never taken from a live process.
 */
import * as fs from 'node:fs';
import { PidFileError } from './errors';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Writes `pid` to `file`. A file left behind by a process that is gone (killed with SIGKILL, say) is replaced.
 *
 * # Errors
 * {@link PidFileError} when the file names another live process; the file system's errors as they come.
 */
export function writePidFile(file: string, pid: number = process.pid): void {
  const other = readPid(file);
  if (other !== null && other !== pid && isAlive(other)) throw new PidFileError(file, other);
  fs.writeFileSync(file, `${pid}\n`);
}

/** Removes `file` if it still holds `pid` (it may have been taken over since); never throws. */
export function removePidFile(file: string, pid: number = process.pid): void {
  try {
    if (readPid(file) === pid) fs.unlinkSync(file);
  } catch {
    // Already gone, or no longer ours to remove.
  }
}
