import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir, hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { rejected } from "../../test/helpers.js";
import { LockError, lockDirectory, processAlive, recoverCheckpoint } from "./lock.js";

/** The pid of a process that has exited (so it no longer runs). */
const deadPid = (): number => Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());

const fresh = (): string => mkdtempSync(join(tmpdir(), "seqtorch-lock-"));

describe("lockDirectory", () => {
  test("one holder at a time: a second taker fails naming the owner; release frees it", async () => {
    const dir = join(fresh(), "run");
    const lock = await lockDirectory(dir, { runId: "abc" });
    expect(JSON.parse(readFileSync(`${dir}.lock`, "utf8"))).toMatchObject({ pid: process.pid, host: hostname(), runId: "abc" });
    const err = await rejected(lockDirectory(dir));
    expect(err).toBeInstanceOf(LockError);
    expect(err.message).toMatch(new RegExp(`^${dir.replace(/[/\\]/g, ".")} is in use by another run \\(pid ${process.pid} on .*; lock file .*run\\.lock\\); wait for it to finish, or choose another directory$`));
    lock.release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    const again = await lockDirectory(dir);
    again.release();
    expect(readdirSync(join(dir, ".."))).toEqual([]); // no temporaries left
  });

  test("a lock whose process is gone is stale and taken over; a live one of another process is not", async () => {
    const dir = join(fresh(), "run");
    const pid = deadPid();
    expect(processAlive(pid)).toBe(false);
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid, host: hostname(), started: "2020-01-01T00:00:00.000Z" }));
    const lock = await lockDirectory(dir);
    expect(lock.owner.pid).toBe(process.pid);
    lock.release();
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), started: "2020-01-01T00:00:00.000Z" }));
    expect((await rejected(lockDirectory(dir))).message).toContain(`pid ${process.ppid} on ${hostname()}, since 2020-01-01T00:00:00.000Z`);
    // A lock of another host cannot be checked, so it holds.
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid, host: "elsewhere", started: "x" }));
    expect((await rejected(lockDirectory(dir))).message).toContain(`pid ${pid} on elsewhere`);
  });
});

describe("recoverCheckpoint", () => {
  test("restores the newest .old copy when the directory is missing, and removes dead processes' leftovers", async () => {
    const root = fresh();
    const dir = join(root, "run");
    const dead = deadPid();
    for (const [name, mtime] of [[`run.old-${dead}-aaaa`, 1], [`run.old-${dead}-bbbb`, 2], [`run.tmp-${dead}-cccc`, 3]] as const) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, "tag"), name);
      const { utimesSync } = await import("node:fs");
      utimesSync(join(root, name), mtime * 1000, mtime * 1000);
    }
    mkdirSync(join(root, `run.tmp-${process.ppid}-dddd`)); // a live process's save in progress
    mkdirSync(join(root, `runner.tmp-${dead}-eeee`)); // another directory's
    writeFileSync(join(root, `run.lock.tmp-${dead}-ffff`), "{}");
    const r = await recoverCheckpoint(dir);
    expect(r.restored).toBe(join(root, `run.old-${dead}-bbbb`));
    expect(readFileSync(join(dir, "tag"), "utf8")).toBe(`run.old-${dead}-bbbb`);
    expect(readdirSync(root).sort()).toEqual(["run", `run.tmp-${process.ppid}-dddd`, `runner.tmp-${dead}-eeee`]);
    expect(r.removed.map((p) => p.slice(root.length + 1)).sort()).toEqual([`run.lock.tmp-${dead}-ffff`, `run.old-${dead}-aaaa`, `run.tmp-${dead}-cccc`]);
  });

  test("with the directory present, old copies are removed, not restored; nothing to do is fine", async () => {
    const root = fresh();
    mkdirSync(join(root, "run"));
    mkdirSync(join(root, `run.old-${deadPid()}-abab`));
    expect((await recoverCheckpoint(join(root, "run"))).restored).toBeNull();
    expect(readdirSync(root)).toEqual(["run"]);
    expect(await recoverCheckpoint(join(root, "missing", "run"))).toEqual({ restored: null, removed: [] });
  });
});
