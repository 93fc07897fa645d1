/**
 * Classification metrics from integer labels: a confusion matrix, accuracy, per-class precision,
 * recall and F1, macro-F1, a majority-class baseline, and text reports after scikit-learn's.
 * Browser-safe.
 */

/** Per-class scores, indexed by class; see `precisionRecallF1`. */
export interface ClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of true examples of each class (row sums of the confusion matrix). */
  support: number[];
}

function checkLabels(op: string, name: string, labels: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new RangeError(`${op}: ${name}[${i}] is ${v}, not a class index (must be an integer in [0, ${numClasses}))`);
    }
  }
}

function checkSameLength(op: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`${op}: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}; pass one prediction per example`);
  }
}

function checkNumClasses(op: string, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${op}: invalid numClasses: ${numClasses} (must be a positive integer)`);
  }
}

function checkMatrix(op: string, matrix: readonly (readonly number[])[]): void {
  const k = matrix.length;
  if (k === 0) throw new RangeError(`${op}: the confusion matrix is empty; it needs one row per class`);
  matrix.forEach((row, i) => {
    if (row.length !== k) {
      throw new RangeError(`${op}: the confusion matrix must be square. Expected ${k} columns in row ${i}, got ${row.length}`);
    }
    row.forEach((v, j) => {
      if (!(Number.isFinite(v) && v >= 0)) {
        throw new RangeError(`${op}: matrix[${i}][${j}] is ${v}; counts must be finite and >= 0`);
      }
    });
  });
}

function checkNames(op: string, labels: readonly string[], k: number): void {
  if (labels.length !== k) {
    throw new RangeError(`${op}: got ${labels.length} label names for a ${k}×${k} confusion matrix; pass one name per class`);
  }
}

const rowSums = (m: readonly (readonly number[])[]): number[] => m.map((row) => row.reduce((a, b) => a + b, 0));
const colSums = (m: readonly (readonly number[])[]): number[] => m.map((_, j) => m.reduce((a, row) => a + row[j], 0));
const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * Counts of (true class, predicted class) pairs: `matrix[t][p]` is the number of examples of class
 * `t` predicted as `p`. Rows are true classes and columns predicted ones, as in scikit-learn.
 *
 * @param numClasses the number of classes K; every label must be an integer in `[0, K)`.
 * @returns a K×K array of counts.
 * @example
 * confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1], 2); // [[1, 1], [0, 2]]
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.metrics.confusion_matrix.html
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkNumClasses("confusionMatrix", numClasses);
  checkSameLength("confusionMatrix", yTrue, yPred);
  checkLabels("confusionMatrix", "yTrue", yTrue, numClasses);
  checkLabels("confusionMatrix", "yPred", yPred, numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/**
 * Share of examples whose prediction equals the true label. Labels may be any numbers; they are
 * compared with `===`. Throws on an empty input, where accuracy is undefined.
 *
 * @example
 * accuracy([0, 1, 2, 2], [0, 2, 2, 2]); // 0.75
 */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength("accuracy", yTrue, yPred);
  if (yTrue.length === 0) throw new RangeError("accuracy: no examples; accuracy of an empty set is undefined");
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Per-class precision `tp / (tp + fp)`, recall `tp / (tp + fn)` and F1 `2tp / (2tp + fp + fn)`
 * from a confusion matrix (rows true, columns predicted). A score whose denominator is 0 is 0, as
 * with scikit-learn's `zero_division=0`: a class never predicted has precision 0.
 *
 * @example
 * const { precision, recall, f1, support } = precisionRecallF1([[1, 1], [0, 2]]);
 * // precision [1, 2/3], recall [0.5, 1], f1 [2/3, 0.8], support [2, 2]
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.metrics.precision_recall_fscore_support.html
 */
export function precisionRecallF1(matrix: readonly (readonly number[])[]): ClassScores {
  checkMatrix("precisionRecallF1", matrix);
  const support = rowSums(matrix);
  const predicted = colSums(matrix);
  const tp = matrix.map((row, c) => row[c]);
  return {
    precision: tp.map((t, c) => ratio(t, predicted[c])),
    recall: tp.map((t, c) => ratio(t, support[c])),
    // NOTE: 2tp/(2tp+fp+fn) equals the harmonic mean of precision and recall wherever both are
    // defined, and is 0 (not undefined) when a class is never predicted but does occur.
    f1: tp.map((t, c) => ratio(2 * t, support[c] + predicted[c])),
    support,
  };
}

/** Indices of the classes that occur among the true labels or the predictions. */
function presentClasses(matrix: readonly (readonly number[])[]): number[] {
  const rows = rowSums(matrix);
  const cols = colSums(matrix);
  return matrix.map((_, c) => c).filter((c) => rows[c] > 0 || cols[c] > 0);
}

/**
 * Unweighted mean of the per-class F1 scores, over the classes that occur in `yTrue` or in `yPred`
 * (a non-zero row or column of the matrix). This is scikit-learn's `f1_score(average="macro")`
 * with `labels` left unset, which averages over `unique_labels(y_true, y_pred)`; a class absent
 * from both does not pull the mean down. Returns 0 for an all-zero matrix.
 *
 * @example
 * macroF1([[1, 1], [0, 2]]); // (2/3 + 0.8) / 2 = 0.7333…
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html
 */
export function macroF1(matrix: readonly (readonly number[])[]): number {
  checkMatrix("macroF1", matrix);
  const { f1 } = precisionRecallF1(matrix);
  const present = presentClasses(matrix);
  return ratio(present.reduce((a, c) => a + f1[c], 0), present.length);
}

/**
 * The accuracy of always predicting the most frequent true class: the score a classifier must
 * beat to have learned anything. Ties go to the smallest label. Throws on an empty input.
 *
 * @example
 * majorityBaseline([1, 0, 1, 1], 2); // { label: 1, accuracy: 0.75 }
 */
export function majorityBaseline(yTrue: ArrayLike<number>, numClasses: number): { label: number; accuracy: number } {
  checkNumClasses("majorityBaseline", numClasses);
  checkLabels("majorityBaseline", "yTrue", yTrue, numClasses);
  if (yTrue.length === 0) throw new RangeError("majorityBaseline: no examples; the baseline of an empty set is undefined");
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i]]++;
  let label = 0;
  for (let c = 1; c < numClasses; c++) if (counts[c] > counts[label]) label = c;
  return { label, accuracy: counts[label] / yTrue.length };
}

/** The headline numbers of a classifier on a labelled set; see `classificationSummary`. */
export interface ClassificationSummary {
  accuracy: number;
  macroF1: number;
  /** The accuracy of always predicting the most frequent true class. */
  majorityBaseline: number;
  /** Rows true classes, columns predicted ones. */
  confusionMatrix: number[][];
}

/**
 * Accuracy, macro-F1, the majority baseline and the confusion matrix in one call: what
 * `seqtorch train` reports for its best epoch and `seqtorch eval` for a checkpoint. Throws on an
 * empty input.
 *
 * @example
 * classificationSummary([0, 0, 1, 1], [0, 1, 1, 1], 2);
 * // { accuracy: 0.75, macroF1: 0.733..., majorityBaseline: 0.5, confusionMatrix: [[1, 1], [0, 2]] }
 */
export function classificationSummary(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): ClassificationSummary {
  const matrix = confusionMatrix(yTrue, yPred, numClasses);
  return {
    accuracy: accuracy(yTrue, yPred),
    macroF1: macroF1(matrix),
    majorityBaseline: majorityBaseline(yTrue, numClasses).accuracy,
    confusionMatrix: matrix,
  };
}

// East Asian wide and fullwidth characters take two terminal columns.
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

/** Columns a string occupies in a terminal. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1;
  return w;
}
const padEndW = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - displayWidth(s)));
const padStartW = (s: string, n: number): string => " ".repeat(Math.max(0, n - displayWidth(s))) + s;

/**
 * A confusion matrix as a text table: a header row of predicted labels, then one row per true
 * label, counts right-aligned. Each column is as wide as its longest label or number, columns are
 * separated by two spaces, and there is no trailing newline.
 *
 * @param labels one name per class, in class-index order.
 * @example
 * formatConfusionMatrix([[430, 65], [101, 289]], ["female", "male"]);
 * // true \ pred  female  male
 * // female          430    65
 * // male            101   289
 */
export function formatConfusionMatrix(matrix: readonly (readonly number[])[], labels: readonly string[]): string {
  checkMatrix("formatConfusionMatrix", matrix);
  checkNames("formatConfusionMatrix", labels, matrix.length);
  const corner = "true \\ pred";
  const firstWidth = Math.max(corner.length, ...labels.map(displayWidth));
  const widths = labels.map((l, j) => Math.max(displayWidth(l), ...matrix.map((row) => String(row[j]).length)));
  const line = (head: string, cells: string[]): string =>
    [padEndW(head, firstWidth), ...cells.map((c, j) => padStartW(c, widths[j]))].join("  ");
  return [line(corner, [...labels]), ...matrix.map((row, i) => line(labels[i], row.map(String)))].join("\n");
}

/**
 * A text report of precision, recall, F1 and support per class, then accuracy, macro average and
 * support-weighted average, laid out as scikit-learn's `classification_report` with `digits=3`
 * (without its trailing newline).
 *
 * Only the classes that occur in the true labels or the predictions get a row, and the macro
 * average is over those rows, as in scikit-learn with `labels` unset and in `macroF1`.
 *
 * @param labels one name per class, in class-index order.
 * @example
 * console.log(classificationReport(confusionMatrix(yTrue, yPred, 2), ["neg", "pos"]));
 * //               precision    recall  f1-score   support
 * //
 * //          neg      0.800     0.667     0.727         6
 * // ...
 * @see https://scikit-learn.org/stable/modules/generated/sklearn.metrics.classification_report.html
 */
export function classificationReport(matrix: readonly (readonly number[])[], labels: readonly string[]): string {
  checkMatrix("classificationReport", matrix);
  checkNames("classificationReport", labels, matrix.length);
  const { precision, recall, f1, support } = precisionRecallF1(matrix);
  const present = presentClasses(matrix);
  const total = support.reduce((a, b) => a + b, 0);
  const mean = (xs: number[]): number => ratio(present.reduce((a, c) => a + xs[c], 0), present.length);
  const weighted = (xs: number[]): number => ratio(present.reduce((a, c) => a + xs[c] * support[c], 0), total);
  const correct = matrix.reduce((a, row, c) => a + row[c], 0);

  // Column layout copied from scikit-learn: names right-aligned to `width`, then " {:>9}" cells.
  const width = Math.max("weighted avg".length, 3, ...present.map((c) => displayWidth(labels[c])));
  const cell = (s: string): string => " " + s.padStart(9);
  const num = (v: number): string => cell(v.toFixed(3));
  const row = (name: string, p: number, r: number, f: number, s: number): string =>
    padStartW(name, width) + " " + num(p) + num(r) + num(f) + cell(String(s));
  return [
    " ".repeat(width) + " " + ["precision", "recall", "f1-score", "support"].map(cell).join(""),
    "",
    ...present.map((c) => row(labels[c], precision[c], recall[c], f1[c], support[c])),
    "",
    "accuracy".padStart(width) + " " + cell("") + cell("") + num(ratio(correct, total)) + cell(String(total)),
    row("macro avg", mean(precision), mean(recall), mean(f1), total),
    row("weighted avg", weighted(precision), weighted(recall), weighted(f1), total),
  ].join("\n");
}
