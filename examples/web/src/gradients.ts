// The gradients panel: `seqtorch gradflow` in the page. The worker runs one backward pass through
// a fresh RNN, LSTM and GRU; the chart shows the gradient norm against the distance from the loss.
import { lineChart } from "./charts";
import { t } from "./i18n";
import type { FromWorker, GradflowReport, ToWorker } from "./protocol";
import { $ } from "./dom";


export function setupGradients(send: (m: ToWorker) => void): { onMessage: (m: FromWorker) => void; redraw: () => void } {
  let last: GradflowReport | null = null;
  const draw = (): void => {
    if (!last) return;
    const r = last;
    $("grad-chart").replaceChildren(lineChart(r.cells.map((c) => ({ name: c.cell, x: c.byDistance.map((_, d) => d), y: c.byDistance })), { xLabel: t("distance"), yLabel: "||d loss / d h_t||", logY: true }));
    $("grad-norms").replaceChildren(...r.cells.map((c) => Object.assign(document.createElement("li"), {
      textContent: `${c.cell}: ${t("gradNorms", { before: c.gradNorm.toPrecision(3), after: c.gradNormClipped.toPrecision(3) })}`,
    })));
  };
  const run = (): void => {
    $<HTMLButtonElement>("grad-run").disabled = true;
    send({ type: "gradflow", request: { length: Number($<HTMLInputElement>("grad-length").value) || 100, initScale: Number($<HTMLInputElement>("grad-scale").value) || 1, clipNorm: Number($<HTMLInputElement>("grad-clip").value) || 0 } });
  };
  $("grad-run").addEventListener("click", run);
  const onMessage = (m: FromWorker): void => {
    if (m.type !== "gradflow") return;
    last = m.report;
    $<HTMLButtonElement>("grad-run").disabled = false;
    draw();
  };
  return { onMessage, redraw: draw };
}
