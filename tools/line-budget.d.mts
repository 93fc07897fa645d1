/** The limit on lines of code in src/ (overridable with --max N). */
export const MAX_LINES: number;
/** Lines of code in a source text: lines with something other than whitespace and comments. */
export function countLines(text: string): number;
/** Whether a file's first line is a comment saying it is generated. */
export function isGenerated(text: string): boolean;
/** The folder a src/ path (with forward slashes) is reported under. */
export function groupOf(file: string): string;
/** Counts the .ts files under root/src, tests and generated files left out. */
export function measure(root: string): {
  groups: { folder: string; files: number; lines: number }[];
  total: number;
  skipped: string[];
};
