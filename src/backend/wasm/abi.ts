/**
 * The C kernels' argument blocks (src/backend/c/kernels.h) as wasm32 lays them out, described once:
 * every field is 4 bytes (int, float, pointer or size_t), in declaration order, and a block inside
 * a block (the backward call's forward arguments) is named by its struct. The runtime writes and
 * reads the blocks from this description only; a test compares it with the offsets the compiled C
 * reports (st_wasm_fields).
 */
export const STRUCTS = {
  st_rec_forward_args: [
    "kind", "T", "N", "I", "H", "P", "reverse", "save", "batch_first", "y_ld", "slope:f32", "lengths",
    "x", "h0", "c0", "wIh", "wHh", "bIh", "bHh", "wHr", "y", "hN", "cN", "gates", "hPrev", "cPrev", "c", "m", "ghn",
  ],
  st_rec_backward_args: ["f:st_rec_forward_args", "dy", "dhN", "dcN", "dx", "dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh", "dwHr", "reuse_gates"],
  st_rec_layout: ["ints", "xp", "dxp", "gx", "g", "gh", "m", "hp", "bias", "wHhP", "wHrP", "dG", "dGh", "dHall", "dm", "dhNext", "hs", "cs", "gemm", "total"],
  st_adam_args: [
    "x", "m", "v", "vMax", "g", "n", "lr:f32", "beta1:f32", "beta2:f32", "eps:f32", "weightDecay:f32", "stepSize:f32", "bc2Sqrt:f32",
    "decoupled", "maximize",
  ],
} as const;

export type StructName = keyof typeof STRUCTS;

/** A field's byte offset, its type ("u32" for ints, pointers and sizes) and, for a nested block, its struct. */
export interface Field { name: string; offset: number; type: "u32" | "f32" | StructName }

interface Layout { fields: Field[]; bytes: number; names: ReadonlySet<string> }
const layouts = new Map<StructName, Layout>();

/** The fields of a struct with their offsets, and its size in bytes (worked out once per struct). */
export function layoutOf(struct: StructName): Layout {
  const known = layouts.get(struct);
  if (known) return known;
  const fields: Field[] = [];
  let offset = 0;
  for (const spec of STRUCTS[struct]) {
    const [name, type = "u32"] = spec.split(":") as [string, Field["type"] | undefined];
    fields.push({ name, offset, type });
    offset += type === "u32" || type === "f32" ? 4 : layoutOf(type).bytes;
  }
  layouts.set(struct, { fields, bytes: offset, names: new Set(fields.map((f) => f.name)) });
  return layouts.get(struct)!;
}

/** The values of a block: numbers (pointers 0 for NULL), or the values of a nested block. */
export interface Values { [field: string]: number | boolean | Values | undefined }

/**
 * Writes `values` as `struct` at byte offset `ptr` of `memory`; a field not given is 0 (NULL for a
 * pointer), and a name the struct does not have is an error.
 */
export function writeStruct(memory: ArrayBuffer | SharedArrayBuffer, ptr: number, struct: StructName, values: Values): void {
  const { fields, names } = layoutOf(struct);
  for (const name in values) if (!names.has(name)) throw new Error(`${struct} has no field ${name}`);
  const view = new DataView(memory);
  for (const f of fields) {
    const v = values[f.name];
    if (f.type === "u32" || f.type === "f32") {
      const n = typeof v === "boolean" ? Number(v) : ((v as number | undefined) ?? 0);
      if (f.type === "f32") view.setFloat32(ptr + f.offset, n, true);
      else view.setUint32(ptr + f.offset, n, true);
    } else {
      writeStruct(memory, ptr + f.offset, f.type, (v as Values | undefined) ?? {});
    }
  }
}

/** The u32 fields of `struct` at `ptr` (what the kernels return in a block: a scratch layout). */
export function readStruct(memory: ArrayBuffer | SharedArrayBuffer, ptr: number, struct: StructName): Record<string, number> {
  const view = new DataView(memory);
  const out: Record<string, number> = {};
  for (const f of layoutOf(struct).fields) if (f.type === "u32") out[f.name] = view.getUint32(ptr + f.offset, true);
  return out;
}
