// Inside the LSTM: the first layer's gates and cell state at every step for a text, computed from
// the model's own weights with the equations of the LSTM (as PyTorch writes them), and checked
// against what the layer itself returns.
import { cat, nn, noGrad, text, zeros, type Tensor } from "seqtorch";
import { heatmap } from "./charts";
import { t } from "./i18n";
import { currentModel, onModel, type CurrentModel } from "./model";
import { $ } from "./dom";


export interface LstmInternals {
  tokens: string[];
  /** [T, H] each: the gates i, f, g, o and the cell state c per step. */
  i: number[][];
  f: number[][];
  g: number[][];
  o: number[][];
  c: number[][];
  /** Largest |h_t| difference between these equations and the layer's own forward pass. */
  maxDiff: number;
}

/**
 * i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(...), g = tanh(...), o = σ(...),
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'), with the four gates stacked in weight_ih_l0 in that order.
 */
export function lstmInternals(m: CurrentModel, textIn: string): LstmInternals | null {
  const { bundle } = m;
  const rnn = bundle.model.encoder.rnn;
  if (!(rnn instanceof nn.LSTM) || rnn.projSize > 0) return null;
  let tokens = bundle.tokenizer.tokenize(textIn);
  if (bundle.maxLen) tokens = tokens.slice(0, bundle.maxLen);
  if (tokens.length === 0) return null;
  const ids = bundle.vocab.encode(tokens);
  return noGrad(() => {
    const { input } = text.padSequences([ids]);
    const x = bundle.model.encoder.embedding.forward(input).select(0, 0); // [T, E]
    const p = (name: string): Tensor | null => rnn.getParameter(name) ?? null;
    const wIh = p("weight_ih_l0")!, wHh = p("weight_hh_l0")!, bIh = p("bias_ih_l0"), bHh = p("bias_hh_l0");
    const H = rnn.hiddenSize;
    let xp = x.matmul(wIh.transpose(0, 1));
    if (bIh) xp = xp.add(bIh);
    if (bHh) xp = xp.add(bHh);
    let h = zeros([1, H]);
    let c = h;
    const out: LstmInternals = { tokens, i: [], f: [], g: [], o: [], c: [], maxDiff: 0 };
    const hs: Tensor[] = [];
    for (let s = 0; s < tokens.length; s++) {
      const gates = xp.select(0, s).unsqueeze(0).add(h.matmul(wHh.transpose(0, 1)));
      const [gi, gf, gg, go] = gates.chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
      const i = gi.sigmoid(), f = gf.sigmoid(), g = gg.tanh(), o = go.sigmoid();
      c = f.mul(c).add(i.mul(g));
      h = o.mul(c.tanh());
      hs.push(h);
      out.i.push(Array.from(i.data)), out.f.push(Array.from(f.data)), out.g.push(Array.from(g.data)), out.o.push(Array.from(o.data)), out.c.push(Array.from(c.data));
    }
    // The layer's own output for the same input: its first H features are the forward direction.
    const [y] = rnn.forward(x.unsqueeze(rnn.batchFirst ? 0 : 1));
    const own = (rnn.batchFirst ? y.select(0, 0) : y.select(1, 0)).narrow(1, 0, H);
    const mine = cat(hs, 0);
    out.maxDiff = own.sub(mine).abs().max().item();
    return out;
  });
}

function render(): void {
  const m = currentModel();
  $("inside").querySelector(".model-line")!.textContent = m ? t("modelFrom", { what: m.what }) : t("modelNone");
  const maps = $("inside-maps");
  if (!m) return void maps.replaceChildren();
  const rnn = m.bundle.model.encoder.rnn;
  if (!(rnn instanceof nn.LSTM)) {
    $("inside-check").textContent = t("notLstm", { kind: rnn.toString() });
    return void maps.replaceChildren();
  }
  const r = lstmInternals(m, $<HTMLInputElement>("inside-text").value);
  if (!r) return void maps.replaceChildren();
  $("inside-check").textContent = `max |h_t (equations) − h_t (nn.LSTM)| = ${r.maxDiff.toExponential(2)}`;
  $("inside-check").dataset.maxDiff = String(r.maxDiff);
  const map = (rows: number[][], title: string, range: "unit" | "signed"): HTMLElement | SVGSVGElement => heatmap(rows, { rows: r.tokens, xLabel: t("hiddenUnit"), title, range, legend: t(range === "unit" ? "activation" : "value") });
  maps.replaceChildren(map(r.i, t("gateI"), "unit"), map(r.f, t("gateF"), "unit"), map(r.g, t("gateG"), "signed"), map(r.o, t("gateO"), "unit"), map(r.c, t("cellC"), "signed"));
}

export function setupInside(): () => void {
  $("inside-text").addEventListener("input", render);
  onModel(render);
  render();
  return render;
}
