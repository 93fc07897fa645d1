/** Running the `seqtorch` command as a user does: a child process on the TypeScript sources. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect } from "vitest";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const main = join(root, "src/cli/main.ts");
export const fixture = (name: string): string => join(root, "test/fixtures", name);

export interface Run { status: number | null; stdout: string; stderr: string }

/** tsx's loader by absolute URL, so the command also runs from another working directory. */
export const tsx = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;

export function cli(args: string[], input?: string, cwd = root): Run {
  const r = spawnSync(process.execPath, ["--import", tsx, main, ...args], { cwd, encoding: "utf8", input, env: { ...process.env, SEQTORCH_DEBUG: "" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user-facing failure: non-zero exit, one line on stderr naming the problem, no stack trace. */
export function expectCleanError(r: Run, pattern: RegExp): void {
  expect(r.status, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("(run with --help"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^seqtorch: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The last line of stdout as JSON (the `--json` summary). */
export const summaryOf = (r: Run): Record<string, unknown> => JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
