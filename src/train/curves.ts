/**
 * Training curves: per-epoch loss and accuracy, recorded from `fit`'s `onEpoch` results and drawn
 * as an SVG. Browser-safe.
 */
import type { EpochResult, Task } from "./fit.js";
import { svgLineChart, svgSmallMultiples } from "./plot.js";

/**
 * Records one point per epoch: training and validation loss, and (classification) training and
 * validation accuracy. A value an epoch does not have (no validation set; accuracy in a
 * regression) is recorded as NaN, which the charts leave out.
 *
 * @example
 * const curves = new TrainingCurves("classification");
 * await fit(model, train, val, { task: "classification", epochs: 5, batchSize: 32, onEpoch: (e) => curves.record(e) });
 * const svg = curves.svg(); // loss and accuracy side by side
 */
export class TrainingCurves {
  readonly epochs: number[] = [];
  readonly trainLoss: number[] = [];
  readonly valLoss: number[] = [];
  readonly trainAccuracy: number[] = [];
  readonly valAccuracy: number[] = [];

  constructor(readonly task: Task) {}

  /** Adds the epoch's point to every curve. */
  record(e: EpochResult): void {
    this.epochs.push(e.epoch);
    this.trainLoss.push(e.trainLoss);
    this.valLoss.push(e.val?.loss ?? NaN);
    this.trainAccuracy.push(e.trainAccuracy ?? NaN);
    this.valAccuracy.push(e.val?.accuracy ?? NaN);
  }

  /** Epochs recorded so far. */
  get length(): number {
    return this.epochs.length;
  }

  /**
   * A standalone SVG document: the loss chart (cross-entropy or MSE, training and validation) and,
   * for classification, the accuracy chart beside it.
   */
  svg(): string {
    const x = this.epochs;
    const lossSeries = [{ name: "train loss", x, y: this.trainLoss }, { name: "validation loss", x, y: this.valLoss }];
    const lossOptions = { title: "Loss", xLabel: "epoch", yLabel: this.task === "classification" ? "cross-entropy" : "MSE" };
    if (this.task !== "classification") return svgLineChart(lossSeries, lossOptions);
    const accSeries = [{ name: "train accuracy", x, y: this.trainAccuracy }, { name: "validation accuracy", x, y: this.valAccuracy }];
    const accOptions = { title: "Accuracy", xLabel: "epoch", yLabel: "accuracy" };
    return svgSmallMultiples([[lossSeries, lossOptions], [accSeries, accOptions]], { columns: 2 });
  }
}
