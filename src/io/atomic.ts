/**
 * Durable, atomic file writes (Node only: `node:fs/promises`). One implementation of "write, fsync,
 * rename, fsync the directory", shared by the checkpoint writer and the command line.
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * A temporary name beside `path` (same directory, so the final rename stays on one file system),
 * unique per process and per call: `${path}.tmp-<pid>-<12 hex digits>`.
 */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/**
 * Creates `path` (which must not exist yet), writes `content` and fsyncs it before closing. The
 * lower-level half of `writeFileAtomic`; on failure the partly written file is left for the caller
 * to remove.
 */
export async function writeDurable(path: string, content: string | Uint8Array): Promise<void> {
  const fh = await open(path, "wx");
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * fsyncs a directory so that a rename inside it survives power loss. A no-op where a directory
 * cannot be opened or fsynced (Windows, some network file systems).
 */
export async function syncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on platforms that cannot fsync a directory.
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Replaces the file `path` with `content` atomically and durably: a reader sees the old file or the
 * new one, never half of either, and after a crash the new file is either complete or absent.
 *
 * The content goes to a uniquely named temporary file in the same directory, which is fsynced and
 * then renamed over `path`; the directory is fsynced last (where the platform allows). On any error
 * the temporary file is removed and the error rethrown, and an existing `path` is left untouched.
 * Strings are written as UTF-8; the directory must exist.
 *
 * @example
 * await writeFileAtomic("runs/curves.svg", svg);
 * await writeFileAtomic("runs/weights.bin", bytes);
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeDurable(tmp, content);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}
