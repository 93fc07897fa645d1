import { afterEach, expect, test, vi } from "vitest";
import { nn } from "../index.js";
import { CliError, runCommand } from "./output.js";

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

test("runCommand prints an error as one line, keeping every line of a multi-line message", async () => {
  const lines: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    lines.push(String(s));
    return true;
  });
  await runCommand(() => void new nn.Linear(2, 3).loadStateDict({}));
  expect(lines).toEqual(['seqtorch: Error(s) in loading state_dict for Linear: Missing key(s) in state_dict: "weight", "bias". \n']);
  expect(process.exitCode).toBe(1);
  lines.length = 0;
  await runCommand(() => {
    throw new CliError("no such file", 2);
  });
  expect(lines).toEqual(["seqtorch: no such file\n"]);
  expect(process.exitCode).toBe(2);
});
