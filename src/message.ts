/**
 * Quoting what a user's file held in a one-line error message: line breaks folded, and values
 * shown as JSON even when they are nested too deeply for `JSON.stringify`.
 */

/**
 * `text` on one line: each line break, with the whitespace after it, becomes one space. (Only
 * after: a pattern starting with `\s*` backtracks over every run of spaces, quadratic in its length.)
 */
export const oneLine = (text: string): string => text.replace(/[\r\n\u2028\u2029]\s*/g, " ");

/**
 * `value` as JSON for an error message, cut to `max` characters. A value nested too deeply for
 * `JSON.stringify` (which recurses, and overflows the stack near 10,000 levels) is described instead.
 */
export function showJson(value: unknown, max = Infinity): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    return `${Array.isArray(value) ? "a list" : "an object"} nested too deeply to show`;
  }
  return json.length <= max ? json : `${json.slice(0, Math.max(0, max - 3))}...`;
}
