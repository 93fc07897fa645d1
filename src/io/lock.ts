/**
 * Owning a checkpoint directory while a run writes it (Node only), and tidying up after a run that
 * was killed. The lock is a sibling file `${dir}.lock` (the directory itself is replaced on every
 * save) holding the owner's pid, host and start time; a lock whose process is gone is stale and
 * is taken over.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { readFileSync, unlinkSync } from "node:fs";
import { link, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Another live process holds the directory. */
export class LockError extends Error {
  constructor(message: string, readonly path: string, readonly owner: LockOwner | null) {
    super(message);
    this.name = "LockError";
  }
}

/** What a lock file says about its owner. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** Whatever the owner added, e.g. a run id. */
  [key: string]: unknown;
}

export interface DirectoryLock {
  /** The lock file. */
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this lock's (synchronous, so it can run on process exit). */
  release(): void;
}

/** Whether process `pid` runs on this machine (a process of another user counts). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const readOwner = async (path: string): Promise<LockOwner | null> => {
  try {
    const o = JSON.parse(await readFile(path, "utf8")) as LockOwner;
    return o && typeof o === "object" && Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
};

/**
 * Takes the lock of `dir`, or throws `LockError` naming the live owner. The lock file is written
 * whole under a temporary name and then hard-linked into place, which fails if another process
 * linked first, so two runs can never both hold it and a lock file is never empty. A lock left by
 * a process that no longer runs (on this host) is removed and taken.
 *
 * @example
 * const lock = await lockDirectory("checkpoints/names", { runId });
 * try { ...train and save... } finally { lock.release(); }
 */
export async function lockDirectory(dir: string, info: Record<string, unknown> = {}): Promise<DirectoryLock> {
  const path = `${dir}.lock`;
  const owner: LockOwner = { ...info, pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, `${JSON.stringify(owner)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw e;
      }
      const held = await readOwner(path);
      const stale = held ? held.host === owner.host && !processAlive(held.pid) : true;
      if (!stale || held?.pid === process.pid) {
        const since = held ? `pid ${held.pid} on ${held.host}, since ${held.started}` : "an unknown process";
        throw new LockError(`${dir} is in use by another run (${since}; lock file ${path}); wait for it to finish, or choose another directory`, path, held);
      }
      // Stale: its owner is gone. Renaming it away first means only one taker removes it.
      await rename(path, `${tmp}.stale`).then(() => rm(`${tmp}.stale`, { force: true }), () => undefined);
    }
  } finally {
    await rm(tmp, { force: true });
  }
  return {
    path,
    owner,
    release: () => {
      try {
        const held = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
        if (held.pid === owner.pid && held.started === owner.started) unlinkSync(path);
      } catch {
        // Gone already, or not ours: nothing to release.
      }
    },
  };
}

/** What `recoverCheckpoint` did. */
export interface Recovery {
  /** The `.old-*` copy renamed back to the directory, when the directory was missing. */
  restored: string | null;
  /** Temporary and old copies removed. */
  removed: string[];
}

/**
 * Repairs what an interrupted `saveCheckpoint` may leave beside `dir`: when `dir` is missing (the
 * save was killed between its two renames) the newest `${dir}.old-*` copy becomes `dir` again;
 * then every `${dir}.tmp-*` and `${dir}.old-*` folder left by a process that no longer runs is
 * removed, as are stale lock temporaries. Folders of live processes are left alone.
 */
export async function recoverCheckpoint(dir: string): Promise<Recovery> {
  const parent = dirname(dir);
  const base = basename(dir);
  const names = await readdir(parent).catch(() => [] as string[]);
  const leftovers: { name: string; old: boolean; mtime: number }[] = [];
  for (const name of names) {
    const m = /^\.(tmp|old)-(\d+)-[0-9a-f]+(?:\.stale)?$/.exec(name.slice(base.length)) ?? /^\.lock\.tmp-(\d+)-[0-9a-f]+(?:\.stale)?$/.exec(name.slice(base.length));
    if (!name.startsWith(base) || !m) continue;
    const pid = Number(m[2] ?? m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    const st = await stat(join(parent, name)).catch(() => null);
    if (st) leftovers.push({ name, old: m[1] === "old", mtime: st.mtimeMs });
  }
  let restored: string | null = null;
  if (!(await stat(dir).catch(() => null))) {
    const newest = leftovers.filter((l) => l.old).sort((a, b) => b.mtime - a.mtime)[0];
    if (newest) {
      await rename(join(parent, newest.name), dir);
      restored = join(parent, newest.name);
      leftovers.splice(leftovers.indexOf(newest), 1);
    }
  }
  const removed: string[] = [];
  for (const l of leftovers) {
    const path = join(parent, l.name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return { restored, removed };
}
