import { chmodSync, existsSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * HERALD_DATA_DIR holds the master key (secret.key), the default app's credentials, the SQLite log with
 * every user's addresses and messages, and the sandbox outbox: it is readable by its owner only (SPEC
 * §11). Files are created with these modes where Herald creates them (config.ts, the SQLite dialect,
 * the sandbox outbox, writePrivateFile), and `tightenDataDir` brings anything older or made by hand
 * back to them at each start. The process umask is left alone: it is the operator's, and it would also
 * apply to files Herald has no business deciding about.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Writes a file only its owner can read, whether it is new or replaces one with a looser mode. */
export function writePrivateFile(file: string, data: string): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** SQLite's side files, which it creates with the database file's own mode. */
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'];

export interface Tightened {
  path: string;
  /** The permission bits it had. */
  was: number;
}

/**
 * Sets the data dir, and every directory and file under it, to owner-only modes, and the SQLite database
 * (with its -wal/-shm/-journal) wherever it lives. Symbolic links are not followed: what they point to
 * is not Herald's to change. Returns what was looser than that; a path Herald may not chmod (another
 * owner) is left and reported as an error by the caller.
 */
export function tightenDataDir(dataDir: string, sqliteFile?: string): { tightened: Tightened[]; failed: { path: string; error: string }[] } {
  const tightened: Tightened[] = [];
  const failed: { path: string; error: string }[] = [];
  const fix = (p: string, mode: number) => {
    let was: number;
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) return;
      was = st.mode & 0o777;
      if (was === mode) return;
      chmodSync(p, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.push({ path: p, error: (err as Error).message });
      return;
    }
    tightened.push({ path: p, was });
  };
  const walk = (dir: string) => {
    fix(dir, PRIVATE_DIR_MODE);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      failed.push({ path: dir, error: (err as Error).message });
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) fix(p, PRIVATE_FILE_MODE);
    }
  };
  if (existsSync(dataDir)) walk(dataDir);
  if (sqliteFile && sqliteFile !== ':memory:') for (const suffix of ['', ...SQLITE_SIDE_FILES]) fix(path.resolve(sqliteFile + suffix), PRIVATE_FILE_MODE);
  return { tightened, failed };
}
