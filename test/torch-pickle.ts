/**
 * Building torch.save files by hand for tests: a pickle writer with the opcodes PyTorch 1.13's
 * pickler emits for a state dict (and a few it never does), and the zip layout around it.
 */
import { zipSync, type Zippable } from "fflate";

/** Appends opcodes; each method returns the writer, so a pickle reads as one chain. */
export class PickleWriter {
  readonly bytes: number[] = [];
  op(code: number): this {
    this.bytes.push(code);
    return this;
  }
  raw(text: string): this {
    this.bytes.push(...new TextEncoder().encode(text));
    return this;
  }
  private u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.bytes.push(...b);
    return this;
  }
  proto(v: number): this { return this.op(0x80).op(v); }
  stop(): this { return this.op(0x2e); }
  mark(): this { return this.op(0x28); }
  none(): this { return this.op(0x4e); }
  bool(v: boolean): this { return this.op(v ? 0x88 : 0x89); }
  emptyDict(): this { return this.op(0x7d); }
  emptyTuple(): this { return this.op(0x29); }
  tuple(): this { return this.op(0x74); }
  reduce(): this { return this.op(0x52); }
  setitem(): this { return this.op(0x73); }
  setitems(): this { return this.op(0x75); }
  binput(i: number): this { return this.op(0x71).op(i); }
  binget(i: number): this { return this.op(0x68).op(i); }
  global(module: string, name: string): this { return this.op(0x63).raw(`${module}\n${name}\n`); }
  int(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    this.op(0x4a).bytes.push(...b);
    return this;
  }
  /** An integer of any size, as LONG1 (little-endian two's complement), as pickle writes ones past 32 bits. */
  long(n: bigint): this {
    const out: number[] = [];
    let v = n;
    do {
      out.push(Number(v & 0xffn));
      v >>= 8n;
    } while (!(v === 0n && (out[out.length - 1]! & 0x80) === 0) && !(v === -1n && (out[out.length - 1]! & 0x80) !== 0));
    this.op(0x8a).op(out.length).bytes.push(...out);
    return this;
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    this.op(0x47).bytes.push(...b);
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58).u32(b.length).raw(s);
  }
}

export function pickle(build: (p: PickleWriter) => PickleWriter): Uint8Array {
  return new Uint8Array(build(new PickleWriter()).bytes);
}

/** One state-dict entry: the tensor's storage (type, key, element count) and its view of it. */
export interface Entry {
  key: string;
  tensor: { type: string; storageKey: string; numel: number; size: number[]; stride: number[]; offset: number };
}

/**
 * The pickle torch.save writes for `OrderedDict(entries)`: each value
 * `_rebuild_tensor_v2(persistent_load(('storage', torch.<type>, key, 'cpu', numel)), offset, size,
 * stride, False, OrderedDict())`. With `bare`, only the first tensor, not in a dict.
 */
export function stateDictPickle(entries: Entry[], { bare = false } = {}): Uint8Array {
  const p = new PickleWriter().proto(2);
  const num = (n: number): PickleWriter => (Number.isInteger(n) && Math.abs(n) < 2 ** 31 ? p.int(n) : p.long(BigInt(n)));
  const tensor = ({ type, storageKey, numel, size, stride, offset }: Entry["tensor"]): void => {
    p.global("torch._utils", "_rebuild_tensor_v2").mark();
    p.mark().str("storage").global("torch", type).str(storageKey).str("cpu");
    num(numel).tuple().op(0x51); // BINPERSID
    num(offset).mark();
    size.forEach(num);
    p.tuple().mark();
    stride.forEach(num);
    p.tuple().bool(false).global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
  };
  if (bare) {
    tensor(entries[0]!.tensor);
    return new Uint8Array(p.stop().bytes);
  }
  p.global("collections", "OrderedDict").emptyTuple().reduce().mark();
  for (const e of entries) {
    p.str(e.key);
    tensor(e.tensor);
  }
  return new Uint8Array(p.setitems().stop().bytes);
}

/** A torch.save zip: `<root>/data.pkl`, `<root>/data/<key>` for each storage, `<root>/version`, stored uncompressed. */
export function ptZip(pkl: Uint8Array, storages: Record<string, Uint8Array>, root = "archive", extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Zippable = { [`${root}/data.pkl`]: [pkl, { level: 0 }] };
  for (const [k, v] of Object.entries(storages)) files[`${root}/data/${k}`] = [v, { level: 0 }];
  files[`${root}/version`] = [new TextEncoder().encode("3\n"), { level: 0 }];
  for (const [k, v] of Object.entries(extra)) files[k] = [v, { level: 0 }];
  return zipSync(files);
}
