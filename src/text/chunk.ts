/**
 * Splitting long texts into bounded chunks for `Intl.Segmenter`, whose iteration over one long
 * string takes time quadratic in its length. Each chunk ends at a position where segmentation
 * cannot change, so segmenting the chunks one by one gives the segments of the whole text.
 *
 * - `"grapheme"` chunks end between two characters that each form a cluster of their own (printable
 *   ASCII, a line feed, CJK ideographs and punctuation), else at the start of the last grapheme
 *   cluster of the window. Both are exact: grapheme boundaries look back, but never ahead past the
 *   next character.
 * - `"word"` chunks end after a space, tab or line feed (else after 。！？) that is followed by a
 *   printable ASCII character or a CJK ideograph: a word boundary that no word-break rule looks
 *   across. When a text has none for `hardLimit` characters (a long run of Chinese without
 *   punctuation), the chunk ends at a grapheme boundary, which can change the word split at that
 *   one point only.
 */

/** Chunk sizes, in UTF-16 code units (small chunks measured fastest: segmenting one chunk still costs more than linear time). Mutable so that tests can force tiny chunks. */
export const chunking = { size: 1024, hardLimit: 8192 };

export type ChunkKind = "word" | "grapheme";

const isPlain = (c: number): boolean => (c >= 0x20 && c < 0x7f) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3001 && c <= 0x3011);
const startsWord = (c: number): boolean => (c > 0x20 && c < 0x7f) || (c >= 0x4e00 && c <= 0x9fff);
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a;
const isSentenceEnd = (c: number): boolean => c === 0x3002 || c === 0xff01 || c === 0xff1f;

/** Whether `p` is a boundary of the first rank (grapheme: exact; word: after whitespace). */
function safe(text: string, p: number, kind: ChunkKind): boolean {
  const prev = text.charCodeAt(p - 1), cur = text.charCodeAt(p);
  if (kind === "grapheme") return (isPlain(prev) || prev === 0x0a) && (isPlain(cur) || cur === 0x0a);
  return isSpace(prev) && startsWord(cur);
}

/** The start of the last grapheme cluster in `text[start, end)` when it is after `start`, widening the window if needed. */
function lastGraphemeStart(text: string, start: number, end: number): number {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  for (let width = end - start; ; width *= 2) {
    let stop = Math.min(text.length, start + width);
    if (stop === text.length) return stop;
    const c = text.charCodeAt(stop - 1);
    if (c >= 0xd800 && c <= 0xdbff) stop -= 1; // never cut a surrogate pair
    let last = 0;
    for (const { index } of segmenter.segment(text.slice(start, stop))) last = index;
    if (last > 0) return start + last;
  }
}

/** Where the chunk that starts at `start` ends. */
function chunkEnd(text: string, start: number, kind: ChunkKind, size: number, hardLimit: number): number {
  if (text.length - start <= size) return text.length;
  const end = start + size, low = start + Math.max(1, size >> 1);
  // Backwards through the window's second half, so that every chunk is at least half a window long.
  for (let p = end; p >= low; p--) if (safe(text, p, kind)) return p;
  if (kind === "grapheme") return lastGraphemeStart(text, start, end);
  const afterSentence = (p: number): boolean => isSentenceEnd(text.charCodeAt(p - 1)) && startsWord(text.charCodeAt(p));
  for (let p = end; p >= low; p--) if (afterSentence(p)) return p;
  // None there: look ahead, up to the hard limit.
  const limit = Math.min(text.length, start + Math.max(hardLimit, size));
  for (let p = end + 1; p < limit; p++) if (safe(text, p, kind) || afterSentence(p)) return p;
  return limit === text.length ? limit : lastGraphemeStart(text, start, limit);
}

/** `text` cut into consecutive chunks of about `size` code units at safe boundaries (see the file's comment). */
export function* chunks(text: string, kind: ChunkKind, size = chunking.size, hardLimit = chunking.hardLimit): Generator<string> {
  for (let start = 0; start < text.length; ) {
    const end = chunkEnd(text, start, kind, size, hardLimit);
    yield text.slice(start, end);
    start = end;
  }
}
