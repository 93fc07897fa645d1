import { describe, expect, test } from "vitest";
import { layoutOf, readStruct, STRUCTS, writeStruct, type StructName } from "./abi.js";
import { debugKernels } from "./debug.js";
import { supportedVariants, WasmRuntime } from "./runtime.js";

/** The C's table (st_wasm_fields): "struct.field" (or "struct") -> [offset, size]. */
function cFields(rt: WasmRuntime): Map<string, [number, number]> {
  rt.begin();
  const countPtr = rt.alloc(4);
  const table = rt.kernels.st_wasm_fields(countPtr);
  const view = new DataView(rt.memory.buffer);
  const bytes = new Uint8Array(rt.memory.buffer);
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < view.getInt32(countPtr, true); i++) {
    const entry = table + 12 * i;
    const name = view.getUint32(entry, true);
    const end = bytes.indexOf(0, name);
    out.set(new TextDecoder().decode(bytes.slice(name, end)), [view.getInt32(entry + 4, true), view.getInt32(entry + 8, true)]);
  }
  return out;
}

describe.runIf(supportedVariants().length > 0)("the argument blocks' one description", () => {
  test.each([...supportedVariants(), "debug" as const])("matches the offsets and sizes of the compiled C (%s)", (variant) => {
    const c = cFields(new WasmRuntime(variant, variant === "debug" ? debugKernels() : undefined));
    const described = new Map<string, [number, number]>();
    for (const struct of Object.keys(STRUCTS) as StructName[]) {
      const { fields, bytes } = layoutOf(struct);
      described.set(struct, [0, bytes]);
      for (const f of fields) described.set(`${struct}.${f.name}`, [f.offset, f.type === "u32" || f.type === "f32" ? 4 : layoutOf(f.type).bytes]);
    }
    expect(Object.fromEntries(described)).toEqual(Object.fromEntries(c));
  });

  test("writes every field where the description puts it, nested blocks included, and refuses unknown names", () => {
    const memory = new ArrayBuffer(512);
    writeStruct(memory, 16, "st_rec_backward_args", { f: { kind: 1, T: 7, slope: 0.5, reverse: true, ghn: 99 }, dy: 12, dwHr: 13 });
    const u32 = new Uint32Array(memory, 16);
    const { fields, bytes: fwd } = layoutOf("st_rec_forward_args");
    const at = (name: string): number => fields.find((f) => f.name === name)!.offset / 4;
    expect([u32[at("kind")], u32[at("T")], u32[at("reverse")], u32[at("ghn")], u32[at("x")]]).toEqual([1, 7, 1, 99, 0]);
    expect(new Float32Array(memory, 16)[at("slope")]).toBe(0.5);
    expect(u32[fwd / 4]).toBe(12); // dy follows the forward block
    expect(readStruct(memory, 16, "st_rec_backward_args").dwHr).toBe(13);
    expect(() => writeStruct(memory, 0, "st_rec_layout", { totl: 1 })).toThrow(/st_rec_layout has no field totl/);
  });
});
