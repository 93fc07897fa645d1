// The pipeline panel: a sentence through each stage of the text pipeline, the way the tutorial
// walks through it: tokens, vocabulary ids, padding or truncation, embedding vectors, and the
// LSTM's output, h_n and c_n with their shapes.
import { manualSeed, nn, noGrad, text } from "seqtorch";
import { heatmap } from "./charts";
import { t } from "./i18n";
import { $ } from "./dom";

export const EXAMPLE_ZH = "接触LSTM模型不久，简单看了一些相关的论文";
export const EXAMPLE_EN = "I met the LSTM model not long ago and read a few related papers";
const EMBEDDING_DIM = 8;
const HIDDEN = 6;

const fmt = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

function render(): void {
  const sentence = $<HTMLInputElement>("pipe-text").value;
  const kind = $<HTMLSelectElement>("pipe-tok").value;
  const maxLen = Math.max(1, Math.min(64, Number($<HTMLInputElement>("pipe-len").value) || 12));
  const locale = /[\u3400-\u9fff]/.test(sentence) ? "zh" : "en";
  const tokenizer = kind === "word" ? new text.WordTokenizer({ locale }) : new text.CharTokenizer({ keepWhitespace: false });
  const tokens = tokenizer.tokenize(sentence);
  $("pipe-tokens").replaceChildren(...tokens.map((tok) => Object.assign(document.createElement("span"), { textContent: tok })));

  const vocab = text.Vocab.build([tokens]);
  const ids = vocab.encode(tokens);
  $("pipe-ids").textContent = tokens.map((tok, i) => `${tok}→${ids[i]}`).join("  ") + `   (${vocab.size}: <pad>=0, <unk>=1)`;

  const { input, lengths } = text.padSequences([ids], { maxLen });
  const padded = Array.from(input.data as Int32Array);
  $("pipe-padded").textContent = `${fmt(input.shape)}  [${padded.join(", ")}]  length ${lengths[0]}`;

  manualSeed(0);
  const embedding = new nn.Embedding(vocab.size, EMBEDDING_DIM, { paddingIdx: 0 });
  const lstm = new nn.LSTM(EMBEDDING_DIM, HIDDEN);
  noGrad(() => {
    const vectors = embedding.forward(input).select(0, 0); // [maxLen, dim]
    const rows = padded.map((id) => vocab.itos(id));
    const matrix = vectors.tolist() as number[][];
    $("pipe-embedding").replaceChildren(heatmap(matrix, { rows, xLabel: t("dimension"), legend: t("value") }));
    const [output, [hN, cN]] = lstm.forward(vectors.unsqueeze(1)); // time-major [maxLen, 1, dim]
    const out = $("pipe-lstm");
    out.replaceChildren(
      Object.assign(document.createElement("p"), { className: "mono", textContent: t("shapeOutput", { shape: fmt(output.shape) }) }),
      heatmap(output.select(1, 0).tolist() as number[][], { rows, xLabel: t("hiddenUnit"), legend: t("value") }),
      Object.assign(document.createElement("p"), { className: "mono", textContent: `${t("shapeH", { shape: fmt(hN!.shape) })}  ${fmtRow(hN!.data)}` }),
      Object.assign(document.createElement("p"), { className: "mono", textContent: `${t("shapeC", { shape: fmt(cN!.shape) })}  ${fmtRow(cN!.data)}` }),
    );
  });
}

const fmtRow = (xs: ArrayLike<number>): string => `[${Array.from(xs, (x) => x.toFixed(3)).join(", ")}]`;

export function setupPipeline(): () => void {
  const input = $<HTMLInputElement>("pipe-text");
  input.value = EXAMPLE_ZH;
  const example = (s: string) => (): void => {
    input.value = s;
    render();
  };
  $("pipe-zh").addEventListener("click", example(EXAMPLE_ZH));
  $("pipe-en").addEventListener("click", example(EXAMPLE_EN));
  for (const id of ["pipe-text", "pipe-tok", "pipe-len"]) $(id).addEventListener("input", render);
  render();
  return render;
}
