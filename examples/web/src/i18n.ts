// The page's text in English and Chinese. Elements carry data-i18n="key" (their text) and
// data-i18n-placeholder / data-i18n-title; `setLang` rewrites them all, and code asks `t(key)`.

const en = {
  title: "seqtorch: the LSTM, live",
  subtitle: "Recurrent networks in your browser: see the pipeline, train a classifier, look inside the gates, watch gradients vanish.",
  backendLine: "Backend: {backend}, {threads}",
  oneThread: "one thread",
  nThreads: "{n} threads",
  notIsolated: "(the page is not cross-origin isolated, so WebAssembly runs on one thread)",
  isolated: "(cross-origin isolated: the kernels share memory with worker threads)",
  tabPipeline: "Pipeline",
  tabTrain: "Train",
  tabInside: "Inside the LSTM",
  tabGradients: "Gradients",
  tabLoad: "Load a model",
  pipelineIntro: "Each stage of the text pipeline, from a sentence to the LSTM's outputs. The embedding and the LSTM are freshly initialised (seed 0).",
  sentence: "Sentence",
  exampleZh: "Chinese example",
  exampleEn: "English example",
  tokenizer: "Tokens",
  tokWord: "words (Intl.Segmenter)",
  tokChar: "characters",
  padLength: "Pad or truncate to",
  stageTokens: "1. Tokens",
  stageVocab: "2. Vocabulary ids",
  stagePadded: "3. Padded / truncated ids",
  stageEmbedding: "4. Embedding vectors (rows: positions, columns: dimensions)",
  stageLstm: "5. The LSTM's outputs",
  shapeOutput: "output: [seq_len, batch, hidden] = {shape}",
  shapeH: "h_n: [num_layers, batch, hidden] = {shape}",
  shapeC: "c_n: [num_layers, batch, hidden] = {shape}",
  trainIntro: "Train the first-names classifier of `seqtorch train` (its default data and model: characters, embedding 32, bidirectional LSTM 64) in a Web Worker.",
  epochs: "Epochs",
  start: "Train",
  stop: "Stop",
  threads: "Threads",
  status: "Status",
  idle: "idle",
  training: "training",
  stopped: "stopped",
  finished: "finished",
  examplesPerSecond: "examples/s",
  epochLine: "epoch {epoch}: train loss {loss}, acc {acc}; validation loss {vloss}, acc {vacc}",
  loss: "loss",
  accuracy: "accuracy",
  step: "batch",
  predictTitle: "Predict",
  predictPlaceholder: "Type a name",
  predictNone: "Train or load a model first.",
  insideIntro: "The gate activations (input i, forget f, cell candidate g, output o) and the cell state c at every step, for the text below, from the model trained or loaded here (the first layer's forward direction).",
  insideText: "Text",
  gateI: "input gate i",
  gateF: "forget gate f",
  gateG: "candidate g",
  gateO: "output gate o",
  cellC: "cell state c",
  notLstm: "The model's recurrent layer is {kind}: this panel shows an LSTM's gates. Train one here or load an LSTM checkpoint.",
  dimension: "dimension",
  hiddenUnit: "hidden unit",
  value: "value",
  activation: "activation",
  gradIntro: "One backward pass through a fresh RNN, LSTM and GRU on the adding problem: the gradient norm ||d loss / d h_t|| at each distance from the loss (log scale). The plain RNN's gradient vanishes; gates keep it alive.",
  length: "Sequence length",
  initScale: "Initial W_hh scale",
  clipNorm: "Clip norm (0: none)",
  run: "Run",
  gradNorms: "gradient norm {before} → {after} after clipping",
  distance: "steps back from the loss",
  loadIntro: "Drop a checkpoint directory written by `seqtorch train` (or its model.safetensors, config.json and vocab.json) here, or choose the files.",
  dropHere: "Drop files here",
  loaded: "Loaded: {what}",
  loadError: "Could not load: {error}",
  modelNone: "No model yet.",
  modelFrom: "Model: {what}",
  trainedHere: "trained here",
};

type Key = keyof typeof en;
const zh: Record<Key, string> = {
  title: "seqtorch：实时运行的 LSTM",
  subtitle: "在浏览器中运行循环神经网络：查看文本处理流程，训练分类器，观察门控内部，看梯度如何消失。",
  backendLine: "后端：{backend}，{threads}",
  oneThread: "单线程",
  nThreads: "{n} 个线程",
  notIsolated: "（页面未跨源隔离，WebAssembly 只用一个线程）",
  isolated: "（已跨源隔离：内核与工作线程共享内存）",
  tabPipeline: "处理流程",
  tabTrain: "训练",
  tabInside: "LSTM 内部",
  tabGradients: "梯度",
  tabLoad: "加载模型",
  pipelineIntro: "从一句话到 LSTM 的输出，文本处理的每一步。嵌入层和 LSTM 是新初始化的（种子 0）。",
  sentence: "句子",
  exampleZh: "中文示例",
  exampleEn: "英文示例",
  tokenizer: "分词",
  tokWord: "词（Intl.Segmenter）",
  tokChar: "字符",
  padLength: "填充或截断到",
  stageTokens: "1. 分词结果",
  stageVocab: "2. 词表编号",
  stagePadded: "3. 填充 / 截断后的编号",
  stageEmbedding: "4. 词向量（行：位置，列：维度）",
  stageLstm: "5. LSTM 的输出",
  shapeOutput: "output：[seq_len, batch, hidden] = {shape}",
  shapeH: "h_n：[num_layers, batch, hidden] = {shape}",
  shapeC: "c_n：[num_layers, batch, hidden] = {shape}",
  trainIntro: "在 Web Worker 中训练 `seqtorch train` 的英文名字性别分类器（默认数据和模型：字符、嵌入 32 维、双向 LSTM 64）。",
  epochs: "轮数",
  start: "训练",
  stop: "停止",
  threads: "线程",
  status: "状态",
  idle: "空闲",
  training: "训练中",
  stopped: "已停止",
  finished: "已完成",
  examplesPerSecond: "样本/秒",
  epochLine: "第 {epoch} 轮：训练损失 {loss}，准确率 {acc}；验证损失 {vloss}，准确率 {vacc}",
  loss: "损失",
  accuracy: "准确率",
  step: "批次",
  predictTitle: "预测",
  predictPlaceholder: "输入一个名字",
  predictNone: "请先训练或加载模型。",
  insideIntro: "对下面的文本，本页训练或加载的模型（第一层的正向）在每一步的门控激活值（输入门 i、遗忘门 f、候选值 g、输出门 o）和细胞状态 c。",
  insideText: "文本",
  gateI: "输入门 i",
  gateF: "遗忘门 f",
  gateG: "候选值 g",
  gateO: "输出门 o",
  cellC: "细胞状态 c",
  notLstm: "模型的循环层是 {kind}：本面板显示 LSTM 的门控。请在本页训练或加载一个 LSTM 检查点。",
  dimension: "维度",
  hiddenUnit: "隐藏单元",
  value: "数值",
  activation: "激活值",
  gradIntro: "在加法问题上，对新初始化的 RNN、LSTM 和 GRU 做一次反向传播：离损失不同距离处的梯度范数 ||d loss / d h_t||（对数坐标）。普通 RNN 的梯度消失，门控让它保持下来。",
  length: "序列长度",
  initScale: "W_hh 初始缩放",
  clipNorm: "梯度裁剪范数（0：不裁剪）",
  run: "运行",
  gradNorms: "梯度范数 {before} → 裁剪后 {after}",
  distance: "距损失的步数",
  loadIntro: "把 `seqtorch train` 写出的检查点目录（或其中的 model.safetensors、config.json 和 vocab.json）拖到这里，或选择文件。",
  dropHere: "把文件拖到这里",
  loaded: "已加载：{what}",
  loadError: "无法加载：{error}",
  modelNone: "还没有模型。",
  modelFrom: "模型：{what}",
  trainedHere: "本页训练",
};

const tables = { en, zh };
export type Lang = keyof typeof tables;
let lang: Lang = "en";
const listeners: (() => void)[] = [];

/** The current language's text for `key`, with {name} placeholders filled from `vars`. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return tables[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function getLang(): Lang {
  return lang;
}

/** Switches the language: static text is rewritten, and each `onLangChange` callback runs. */
export function setLang(next: Lang): void {
  lang = next;
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll<HTMLElement>("[data-i18n]")) el.textContent = t(el.dataset.i18n as Key);
  for (const el of document.querySelectorAll<HTMLInputElement>("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder as Key);
  for (const fn of listeners) fn();
}

export function onLangChange(fn: () => void): void {
  listeners.push(fn);
}
