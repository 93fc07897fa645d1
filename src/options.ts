/**
 * Option objects are checked against the keys a function takes, so a misspelt or snake_case option
 * (`batch_first`, `num_layers`) is an error with a suggestion instead of being silently ignored.
 * Each caller lists its keys as a `Record<keyof Options, true>`, which the compiler keeps complete.
 */

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : typeof v === "bigint" ? `${v}n` : Array.isArray(v) ? `an array of ${v.length}` : String(v));

/** The keys of an options type, as a record the compiler checks is complete and exact. */
export type OptionKeys<O> = Record<keyof O & string, true>;

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The key a user probably meant: the camelCase spelling, or the closest key within two edits. */
export function suggestKey(key: string, allowed: readonly string[]): string | null {
  const c = camel(key);
  if (allowed.includes(c)) return c;
  const lower = c.toLowerCase();
  const exact = allowed.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | null = null;
  let bestD = 3;
  for (const k of allowed) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * Throws `<where>: unknown option "batch_first" (did you mean batchFirst?); options are ...` when
 * `options` has a key `keys` does not list. Undefined or null options pass; options that are not
 * an object (`new LSTMCell(3, 4, false)`) are an error.
 */
export function checkOptions<O>(where: string, options: O | null | undefined, keys: OptionKeys<O>): void {
  if (options === null || options === undefined) return;
  if (typeof options !== "object" || Array.isArray(options)) throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  const allowed = Object.keys(keys);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(keys, key)) continue;
    const hint = suggestKey(key, allowed);
    throw new TypeError(`${where}: unknown option "${key}"${hint ? ` (did you mean ${hint}?)` : ""}; options are ${allowed.join(", ")}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Runtime checks of option values, for callers from plain JavaScript or parsed JSON, where
// `bidirectional: "false"` would otherwise be truthy.


/** `v` must be a boolean (undefined passes): `<where>: <what> must be a boolean, got "false"`. */
export function boolOption(where: string, what: string, v: unknown): void {
  if (v !== undefined && typeof v !== "boolean") throw new TypeError(`${where}: ${what} must be a boolean, got ${show(v)}`);
}

/** `v` must be an integer >= 1 (>= 0 with `allowZero`). */
export function positiveInt(where: string, what: string, v: unknown, allowZero = false): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new TypeError(`${where}: ${what} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${show(v)}`);
  }
}

/** `v` must be a finite number (undefined passes with `optional`). */
export function finite(where: string, what: string, v: unknown, optional = false): void {
  if (optional && v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${where}: ${what} must be a finite number, got ${show(v)}`);
}

/** Describes a value for an error message: strings quoted, arrays by length. */
export const describeValue = show;
