import { describe, expect, test } from "vitest";
import {
  accuracy, classificationReport, classificationSummary, confusionMatrix, formatConfusionMatrix, macroF1, majorityBaseline, precisionRecallF1,
} from "./metrics.js";
import { absTol, expectAllClose } from "../../test/helpers.js";

// Class 0 occurs but is never predicted: its precision is 0/0, reported as 0 (zero_division=0).
const binTrue = [0, 0, 1, 1, 1];
const binPred = [1, 1, 1, 1, 1];

// 3 classes, matrix [[2, 1, 1], [0, 2, 0], [1, 1, 2]]; by hand:
//   class 0: P = 2/3, R = 2/4, F1 = 2·2/(2·2+2+1) = 4/7
//   class 1: P = 2/4, R = 2/2, F1 = 2·2/(2·2+2+0) = 2/3
//   class 2: P = 2/3, R = 2/4, F1 = 4/7
//   macro-F1 = (4/7 + 2/3 + 4/7) / 3 = 38/63
const triTrue = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
const triPred = [0, 0, 1, 2, 1, 1, 2, 2, 0, 1];

describe("confusionMatrix", () => {
  test("rows are true classes, columns predicted", () => {
    expect(confusionMatrix(binTrue, binPred, 2)).toEqual([[0, 2], [0, 3]]);
    expect(confusionMatrix(triTrue, triPred, 3)).toEqual([[2, 1, 1], [0, 2, 0], [1, 1, 2]]);
    expect(confusionMatrix(new Int32Array([1]), new Float32Array([0]), 3)).toEqual([[0, 0, 0], [1, 0, 0], [0, 0, 0]]);
    expect(confusionMatrix([], [], 2)).toEqual([[0, 0], [0, 0]]);
  });

  test("errors", () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/yTrue has 2 labels but yPred has 1/);
    expect(() => confusionMatrix([0, 2], [0, 1], 2)).toThrow(/yTrue\[1\] is 2, not a class index \(must be an integer in \[0, 2\)\)/);
    expect(() => confusionMatrix([0, 1], [-1, 1], 2)).toThrow(/yPred\[0\] is -1/);
    expect(() => confusionMatrix([0.5], [0], 2)).toThrow(/yTrue\[0\] is 0.5/);
    expect(() => confusionMatrix([NaN], [0], 2)).toThrow(RangeError);
    expect(() => confusionMatrix([0], [0], 0)).toThrow(/invalid numClasses: 0/);
  });
});

describe("scores", () => {
  test("accuracy", () => {
    expect(accuracy(binTrue, binPred)).toBe(0.6);
    expect(accuracy(triTrue, triPred)).toBe(0.6);
    expect(() => accuracy([], [])).toThrow(/no examples/);
    expect(() => accuracy([1], [1, 2])).toThrow(/yTrue has 1 labels but yPred has 2/);
  });

  test("a class never predicted has precision 0", () => {
    const s = precisionRecallF1(confusionMatrix(binTrue, binPred, 2));
    expect(s.precision).toEqual([0, 0.6]);
    expect(s.recall).toEqual([0, 1]);
    expect(s.f1).toEqual([0, 0.75]);
    expect(s.support).toEqual([2, 3]);
    expect(macroF1(confusionMatrix(binTrue, binPred, 2))).toBe(0.375);
  });

  test("3 classes by hand", () => {
    const m = confusionMatrix(triTrue, triPred, 3);
    const s = precisionRecallF1(m);
    // toBeCloseTo(v, 12) tolerance: |a - e| < 5e-13.
    expectAllClose(s.precision, [2 / 3, 1 / 2, 2 / 3], "precision", absTol(5e-13));
    expectAllClose(s.recall, [1 / 2, 1, 1 / 2], "recall", absTol(5e-13));
    expectAllClose(s.f1, [4 / 7, 2 / 3, 4 / 7], "f1", absTol(5e-13));
    expect(s.support).toEqual([4, 2, 4]);
    expect(macroF1(m)).toBeCloseTo(38 / 63, 12);
  });

  test("macroF1 averages over the classes present in yTrue or yPred only", () => {
    // Class 2 is in neither: the mean stays over classes 0 and 1 (scikit-learn with labels unset).
    expect(macroF1(confusionMatrix(binTrue, binPred, 3))).toBe(0.375);
    // Class 1 is only predicted, never true: it counts, with F1 0.
    expect(macroF1(confusionMatrix([0, 0], [0, 1], 2))).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(macroF1([[0, 0], [0, 0]])).toBe(0);
    const all = precisionRecallF1([[0, 0], [0, 0]]);
    expect([...all.precision, ...all.recall, ...all.f1]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test("matrix errors", () => {
    expect(() => precisionRecallF1([[1, 2], [3]])).toThrow(/must be square. Expected 2 columns in row 1, got 1/);
    expect(() => macroF1([])).toThrow(/empty/);
    expect(() => precisionRecallF1([[1, -1], [0, 0]])).toThrow(/matrix\[0\]\[1\] is -1/);
  });

  test("majorityBaseline", () => {
    expect(majorityBaseline([1, 0, 1, 1], 2)).toEqual({ label: 1, accuracy: 0.75 });
    expect(majorityBaseline([2, 1, 1, 2], 3)).toEqual({ label: 1, accuracy: 0.5 }); // tie: smallest label
    expect(() => majorityBaseline([], 2)).toThrow(/no examples/);
    expect(() => majorityBaseline([3], 2)).toThrow(/yTrue\[0\] is 3/);
  });
});

describe("text reports", () => {
  test("formatConfusionMatrix", () => {
    expect(formatConfusionMatrix([[430, 65], [101, 289]], ["female", "male"])).toBe(
      ["true \\ pred  female  male", "female          430    65", "male            101   289"].join("\n"),
    );
    // A long label widens the first column; a big count widens its own column only.
    expect(formatConfusionMatrix([[1, 123456], [0, 2]], ["a", "a rather long label"])).toBe(
      [
        "true \\ pred          a  a rather long label",
        "a                    1               123456",
        "a rather long label  0                    2",
      ].join("\n"),
    );
    expect(() => formatConfusionMatrix([[1]], ["a", "b"])).toThrow(/got 2 label names for a 1×1 confusion matrix/);
  });

  test("classificationReport matches scikit-learn's layout", () => {
    const report = classificationReport(confusionMatrix(triTrue, triPred, 3), ["neg", "neu", "pos"]);
    expect(report).toBe(
      [
        "              precision    recall  f1-score   support",
        "",
        "         neg      0.667     0.500     0.571         4",
        "         neu      0.500     1.000     0.667         2",
        "         pos      0.667     0.500     0.571         4",
        "",
        "    accuracy                          0.600        10",
        "   macro avg      0.611     0.667     0.603        10",
        "weighted avg      0.633     0.600     0.590        10",
      ].join("\n"),
    );
  });

  test("classificationReport leaves out classes absent from both yTrue and yPred", () => {
    const report = classificationReport(confusionMatrix(binTrue, binPred, 3), ["no", "yes", "never"]);
    expect(report).not.toMatch(/never/);
    expect(report).toMatch(/^ {3}macro avg {6}0\.300 {5}0\.500 {5}0\.375 {9}5$/m);
  });
});

describe("classificationSummary", () => {
  test("accuracy, macro-F1, majority baseline and confusion matrix, as the single functions give them", () => {
    const yTrue = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
    const yPred = [0, 0, 1, 2, 1, 1, 2, 0, 2, 1];
    const s = classificationSummary(yTrue, yPred, 3);
    expect(s).toEqual({
      accuracy: accuracy(yTrue, yPred),
      macroF1: macroF1(confusionMatrix(yTrue, yPred, 3)),
      majorityBaseline: majorityBaseline(yTrue, 3).accuracy,
      confusionMatrix: confusionMatrix(yTrue, yPred, 3),
    });
    expect(s.accuracy).toBe(0.6);
    expect(s.majorityBaseline).toBe(0.4);
  });

  test("an empty set is an error", () => {
    expect(() => classificationSummary([], [], 2)).toThrow(/no examples/);
  });
});
