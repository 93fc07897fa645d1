// The page: five panels over one training worker, in English or Chinese.
import { getBackend, setNumThreads } from "seqtorch";
import { initWasmBackend } from "seqtorch/wasm";
import { setupGradients } from "./gradients";
import { onLangChange, setLang, t, type Lang } from "./i18n";
import { setupInside } from "./inside";
import { setupLoad } from "./load";
import { setupPipeline } from "./pipeline";
import type { FromWorker, ToWorker } from "./protocol";
import { setupTrain } from "./trainpanel";
import { $ } from "./dom";


function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const p of document.querySelectorAll<HTMLElement>(".panel")) p.classList.toggle("active", p.id === name);
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

async function main(): Promise<void> {
  const lang = (new URLSearchParams(location.search).get("lang") ?? (navigator.language.startsWith("zh") ? "zh" : "en")) as Lang;
  setLang(lang === "zh" ? "zh" : "en");
  // The page itself runs the small models (pipeline, predictions, gates) on one thread; training runs in the worker.
  await initWasmBackend();
  setNumThreads(1);

  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const send = (m: ToWorker): void => worker.postMessage(m);
  const train = setupTrain(send);
  const gradients = setupGradients(send);
  let backend = { name: getBackend().name, threads: 1, isolated: false };
  const backendLine = (): void => {
    const threads = backend.threads > 1 ? t("nThreads", { n: backend.threads }) : t("oneThread");
    $("backend-line").textContent = `${t("backendLine", { backend: backend.name, threads })} ${backend.isolated ? t("isolated") : t("notIsolated")}`;
    $("backend-line").dataset.threads = String(backend.threads);
    $("backend-line").dataset.backend = backend.name;
  };
  worker.onmessage = (e: MessageEvent<FromWorker>): void => {
    const m = e.data;
    if (m.type === "ready") {
      backend = { name: m.backend, threads: m.threads, isolated: m.isolated };
      train.setThreads(m.threads);
      backendLine();
      document.body.dataset.ready = "true";
      return;
    }
    if (m.type === "done" && m.threads) {
      backend.threads = m.threads;
      backendLine();
    }
    train.onMessage(m);
    gradients.onMessage(m);
  };
  worker.onerror = (e) => {
    $("backend-line").textContent = `worker: ${e.message}`;
  };

  const pipeline = setupPipeline();
  const inside = setupInside();
  setupLoad();
  onLangChange(() => {
    backendLine();
    pipeline();
    inside();
    train.redraw();
    gradients.redraw();
  });
  backendLine();
  $("lang-en").addEventListener("click", () => setLang("en"));
  $("lang-zh").addEventListener("click", () => setLang("zh"));
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab!));
  showTab(location.hash.slice(1) || "pipeline");
}

main().catch((e: unknown) => {
  document.body.prepend(Object.assign(document.createElement("pre"), { className: "error", textContent: String((e as Error).stack ?? e) }));
});
