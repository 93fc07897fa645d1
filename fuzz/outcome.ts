/**
 * What counts as a clean rejection: an `Error` whose message is one non-empty line and is not a raw
 * JavaScript error escaping from internals (a TypeError from reading a property of undefined, a
 * RangeError from a typed array length or a stack overflow, ...).
 */

/** Messages that V8 or Node produce on their own, never as a library's deliberate error. */
const INTERNAL = [
  /Cannot read propert/, /Cannot set propert/, /Cannot destructure/, /Cannot convert/, /Cannot access/, /Cannot create property/,
  /is not a function/, /is not iterable/, /is not a constructor/, /is not defined/, /undefined is not/, /null is not/,
  /Invalid typed array length/, /Invalid array length/, /Invalid string length/, /Array buffer allocation failed/,
  /Maximum call stack/, /out of memory/i, /offset is out of bounds/i, /Start offset .* is outside/, /Invalid DataView/,
  /Reduce of empty array/, /toFixed\(\) digits/, /Invalid count value/, /Invalid code point/, /Cannot mix BigInt/, /^Unexpected token/,
  /^Unexpected end of JSON/, /^Unexpected non-whitespace/, /^Expected .* in JSON at position/, /Do not know how to serialize/,
];

/** Thrown by a target for a failure of its own: an input accepted with a wrong result, or a throw where none is allowed. */
export class FuzzFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FuzzFailure";
  }
}

/**
 * Null when `e` is a clean rejection, else what is wrong with it. Raw JSON.parse messages count as
 * internal only when they start the message: a library may quote them after naming the file.
 */
export function uncleanReason(e: unknown): string | null {
  if (e instanceof FuzzFailure) return e.message;
  if (!(e instanceof Error)) return `threw a non-Error: ${typeof e} ${String(e).slice(0, 200)}`;
  const message = e.message;
  if (typeof message !== "string" || message.trim() === "") return `${e.name} with an empty message`;
  if (/[\r\n]/.test(message)) return `${e.name} with a message of more than one line: ${JSON.stringify(message.slice(0, 300))}`;
  const internal = INTERNAL.find((re) => re.test(message));
  if (internal) return `raw ${e.name} from internals: ${message.slice(0, 300)}`;
  return null;
}

/** Asserts something about an accepted input's result; when it does not hold, a `FuzzFailure` says what. */
export function ensure(ok: boolean, what: () => string): void {
  if (!ok) throw new FuzzFailure(`accepted wrongly: ${what()}`);
}

/** A throw from the code under test: false for a clean rejection; otherwise it fails with the reason. */
function rejection(e: unknown): false {
  const reason = uncleanReason(e);
  if (reason) throw new Error(reason, { cause: e });
  return false;
}

/**
 * For property tests: runs `fn`; a throw must be a clean rejection, and a result must pass `check`.
 * Fails (throws) with the reason otherwise; returns whether the input was accepted.
 */
export async function cleanOrCorrect<T>(fn: () => T | Promise<T>, check: (result: T) => void = () => undefined): Promise<boolean> {
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    return rejection(e);
  }
  check(result);
  return true;
}

/** `cleanOrCorrect` for synchronous code. */
export function cleanOrCorrectSync<T>(fn: () => T, check: (result: T) => void = () => undefined): boolean {
  let result: T;
  try {
    result = fn();
  } catch (e) {
    return rejection(e);
  }
  check(result);
  return true;
}
