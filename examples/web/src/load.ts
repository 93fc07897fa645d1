// The load panel: a checkpoint directory written by `seqtorch train`, dropped or chosen as files:
// model.safetensors, config.json and vocab.json. Checked as `seqtorch predict` checks it.
import { t } from "./i18n";
import { setModel } from "./model";
import { $ } from "./dom";


/** The files under a dropped directory, or the dropped files themselves. */
async function filesOf(transfer: DataTransfer): Promise<File[]> {
  const items = transfer.items;
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) out.push(await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject)));
    else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      const entries = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      for (const e of entries) await walk(e);
    }
  };
  const entries = Array.from(items, (i) => i.webkitGetAsEntry?.() ?? null).filter((e): e is FileSystemEntry => e !== null);
  // Without entries (a browser that gives none, or files handed over by a script), the plain file list.
  if (entries.length === 0) return Array.from(transfer.files);
  for (const entry of entries) await walk(entry);
  return out;
}

async function load(files: File[]): Promise<void> {
  const out = $("load-out");
  out.classList.remove("error");
  try {
    const byName = new Map(files.map((f) => [f.name, f]));
    const need = (name: string): File => {
      const f = byName.get(name);
      if (!f) throw new Error(`${name} is missing (given: ${files.map((x) => x.name).join(", ") || "nothing"})`);
      return f;
    };
    const json = async (name: string): Promise<unknown> => {
      try {
        return JSON.parse(await need(name).text());
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    };
    const config = await json("config.json");
    const vocab = await json("vocab.json");
    const weights = new Uint8Array(await need("model.safetensors").arrayBuffer());
    const m = setModel({ config, vocab, weights }, files.map((f) => f.name).sort().join(" + "));
    const b = m.bundle;
    out.textContent = t("loaded", { what: `${b.model.encoder.rnn.toString()}, ${b.task}, labels ${b.labels.join(", ")}, vocabulary ${b.vocab.size}` });
    out.dataset.state = "loaded";
  } catch (e) {
    out.textContent = t("loadError", { error: (e as Error).message });
    out.classList.add("error");
    out.dataset.state = "error";
  }
}

export function setupLoad(): void {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer) void filesOf(e.dataTransfer).then(load);
  });
  $<HTMLInputElement>("load-files").addEventListener("change", (e) => void load(Array.from((e.target as HTMLInputElement).files ?? [])));
}
