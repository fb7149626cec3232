// The embedded database belongs to one process. A lock file in TOKEND_DATA_DIR names its holder; a
// second process refuses to open the folder, and a lock left by a killed process (its pid is gone)
// is detected and cleared.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirBusy extends Error {}

interface Holder {
  pid: number;
  role: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): Holder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

/** Takes the folder for this process; returns the release function. Throws DataDirBusy if held. */
export function lockDataDir(dir: string, role: 'server' | 'cli'): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'tokend.lock');
  const holder: Holder = { pid: process.pid, role, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(holder), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
      process.once('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const current = readHolder(path);
      if (current && current.pid !== process.pid && alive(current.pid)) {
        const what = current.role === 'server' ? 'a running tokend server' : 'another tokend command';
        throw new DataDirBusy(
          `the embedded database in ${dir} is held by ${what} (pid ${current.pid}): stop the server or use the page/API`,
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new DataDirBusy(`could not lock ${dir}`);
}
