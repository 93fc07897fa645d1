// The train panel: the worker trains, the page draws the running loss and accuracy, counts
// examples per second, and predicts with the model of the last finished epoch.
import { lineChart } from "./charts";
import { t } from "./i18n";
import { currentModel, onModel, predict, setModel } from "./model";
import type { FromWorker, ToWorker } from "./protocol";
import { $ } from "./dom";

const pct = (x: number | null): string => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);

export function setupTrain(send: (m: ToWorker) => void): { onMessage: (m: FromWorker) => void; setThreads: (max: number) => void; redraw: () => void } {
  const loss: { x: number[]; y: number[] } = { x: [], y: [] };
  const acc: { x: number[]; y: number[] } = { x: [], y: [] };
  let status: "idle" | "training" | "stopped" | "finished" = "idle";
  let lastDraw = 0;
  const draw = (): void => {
    lastDraw = performance.now();
    $("train-chart").replaceChildren(lineChart([{ name: t("loss"), ...loss }, { name: t("accuracy"), ...acc }], { xLabel: t("step"), yLabel: "" }));
  };
  const setStatus = (s: typeof status): void => {
    status = s;
    $("train-status").textContent = t(s);
    $("train-status").dataset.state = s;
    $<HTMLButtonElement>("train-start").disabled = s === "training";
    $<HTMLButtonElement>("train-stop").disabled = s !== "training";
  };
  const showPrediction = (): void => {
    const m = currentModel();
    const textIn = $<HTMLInputElement>("predict-text").value;
    const out = $("predict-out");
    if (!m) {
      out.textContent = t("predictNone");
      return;
    }
    const ranked = predict(m, textIn);
    out.textContent = ranked.map(([label, p]) => `${label} ${(p * 100).toFixed(1)}%`).join("   ");
    out.dataset.label = ranked[0]![0];
  };

  $("train-start").addEventListener("click", () => {
    loss.x = [], loss.y = [], acc.x = [], acc.y = [];
    $("train-epochs-log").replaceChildren();
    setStatus("training");
    const epochs = Math.max(1, Number($<HTMLInputElement>("train-epochs").value) || 6);
    send({ type: "train", epochs, threads: Number($<HTMLSelectElement>("train-threads").value) || 1 });
  });
  $("train-stop").addEventListener("click", () => send({ type: "stop" }));
  $("predict-text").addEventListener("input", showPrediction);
  onModel(showPrediction);
  setStatus("idle");
  showPrediction();

  const onMessage = (m: FromWorker): void => {
    if (m.type === "progress") {
      const step = loss.x.length + 1;
      loss.x.push(step), loss.y.push(m.loss);
      if (m.accuracy !== null) acc.x.push(step), acc.y.push(m.accuracy);
      $("train-rate").textContent = m.examplesPerSecond.toFixed(0);
      $("train-rate").dataset.rate = String(m.examplesPerSecond);
      if (performance.now() - lastDraw > 250) draw();
    } else if (m.type === "epoch") {
      const r = m.report;
      const li = document.createElement("li");
      li.textContent = t("epochLine", { epoch: r.epoch, loss: r.trainLoss.toFixed(4), acc: pct(r.trainAccuracy), vloss: r.valLoss?.toFixed(4) ?? "–", vacc: pct(r.valAccuracy) });
      li.dataset.trainLoss = String(r.trainLoss);
      $("train-epochs-log").append(li);
      setModel(m.parts, `${t("trainedHere")}, epoch ${r.epoch}`);
    } else if (m.type === "done") {
      draw();
      $("train-rate").textContent = m.examplesPerSecond.toFixed(0);
      $("train-rate").dataset.rate = String(m.examplesPerSecond);
      $("train-rate").dataset.threads = String(m.threads);
      $("train-rate").dataset.workers = String(m.workers);
      setStatus(m.stopped ? "stopped" : "finished");
    } else if (m.type === "error") {
      setStatus("stopped");
      $("train-status").textContent = m.message;
    }
  };
  const setThreads = (max: number): void => {
    const select = $<HTMLSelectElement>("train-threads");
    select.replaceChildren(...Array.from({ length: max }, (_, i) => Object.assign(document.createElement("option"), { value: String(i + 1), textContent: String(i + 1) })));
    select.value = String(max);
  };
  return { onMessage, setThreads, redraw: () => { setStatus(status); if (loss.x.length) draw(); showPrediction(); } };
}
