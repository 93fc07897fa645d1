/**
 * Seeded pseudo-random numbers. seqtorch uses xoshiro128** seeded through splitmix32: fast,
 * well tested, and identical on every JavaScript engine, so a seed reproduces a run anywhere.
 * NOTE: the streams differ from PyTorch's Mersenne Twister; golden tests load weights instead.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /**
   * Seeds the generator. PyTorch takes integers in [-2^63, 2^64); here a seed must be a safe
   * integer (|seed| <= 2^53 - 1), which a JavaScript number holds exactly.
   */
  manualSeed(seed: number): this {
    if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
      throw new TypeError(`manualSeed: seed must be a safe integer (|seed| <= 2^53 - 1), got ${typeof seed === "string" ? JSON.stringify(seed) : String(seed)}`);
    }
    let x = (Math.floor(seed) ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spare = null;
    return this;
  }

  /**
   * The generator's state, to restore with `setState` (like `torch.Generator.get_state`): four
   * 32-bit words and the cached second normal of the last Box-Muller pair. Plain JSON data.
   */
  getState(): GeneratorState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  /** Restores a state from `getState`, so the generator continues exactly where that one was. */
  setState(state: GeneratorState): this {
    const { s, spare } = (state ?? {}) as Partial<GeneratorState>;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) || s.every((w) => w === 0)) {
      throw new TypeError(`Generator.setState: the state must hold four 32-bit words, not all zero, got ${JSON.stringify(s)}`);
    }
    if (spare !== null && typeof spare !== "number") throw new TypeError(`Generator.setState: spare must be a number or null, got ${JSON.stringify(spare)}`);
    [this.s0, this.s1, this.s2, this.s3] = s;
    this.spare = spare;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits, so it never rounds up to 1 in float32 either. */
  random(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal, by the Box-Muller transform. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.random();
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n). */
  randint(n: number): number {
    return Math.floor(this.random() * n);
  }
}

/** A generator's state: `Generator.getState()`, JSON-serialisable. */
export interface GeneratorState {
  s: number[];
  spare: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator every random op uses unless given its own. */
export const defaultGenerator = new Generator(0x5eed);

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** The default generator's state, like `torch.get_rng_state` (a copy; JSON-serialisable). */
export function getRngState(): GeneratorState {
  return defaultGenerator.getState();
}

/** Restores the default generator's state from `getRngState`, like `torch.set_rng_state`. */
export function setRngState(state: GeneratorState): void {
  defaultGenerator.setState(state);
}
