/**
 * A small seeded random number generator (sfc32, seeded through splitmix32), so that every fuzz
 * input is a pure function of (seed, target name, index) and can be regenerated anywhere.
 */

function splitmix32(x: number): () => number {
  return () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a hash of a string, for deriving a stream from a name. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A seeded stream of random numbers with the helpers the mutators need. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    const s = splitmix32(seed >>> 0);
    this.#a = s();
    this.#b = s();
    this.#c = s();
    this.#d = s();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The stream for input `index` of target `name` in a run seeded with `seed`. */
  static for(seed: number, name: string, index: number): Rng {
    return new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ hash(name) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  }

  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** An integer in [0, max], small ones far more likely (log-uniform-ish). */
  size(max: number): number {
    return Math.max(0, Math.min(max, Math.floor(Math.exp(this.next() * Math.log(max + 2))) - 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
