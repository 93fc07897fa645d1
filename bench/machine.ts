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

/** The CPU's SIMD and FMA feature flags that matter to the kernels (Linux /proc/cpuinfo; empty elsewhere). */
export function simdFlags(): string[] {
  try {
    const m = /^flags\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    const have = new Set(m ? m[1]!.split(/\s+/) : []);
    return ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"].filter((f) => have.has(f));
  } catch {
    return [];
  }
}
