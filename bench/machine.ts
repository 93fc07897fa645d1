/** Facts about the machine a benchmark ran on, for the header every benchmark prints. */
import { readFileSync } from "node:fs";
import os from "node:os";

/** The CPU model from /proc/cpuinfo (Linux), else what Node reports. */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown CPU";
}
