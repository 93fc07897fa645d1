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

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator every random op uses unless given its own. */
export const defaultGenerator = new Generator(0x5eed);

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
