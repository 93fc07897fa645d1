// The tagger of docs/from-pytorch.md: the same model as the PyTorch one there, loading its weights.
import { nn, type Tensor } from "../src/index.js";
import { loadSafetensorsFile, loadTorchFile } from "../src/io/node.js";

export class Tagger extends nn.Module {
  embedding: nn.Embedding;
  lstm: nn.LSTM;
  fc: nn.Linear;

  constructor(vocab: number, emb: number, hidden: number, classes: number) {
    super();
    this.embedding = new nn.Embedding(vocab, emb);
    this.lstm = new nn.LSTM(emb, hidden, { numLayers: 2, bidirectional: true, batchFirst: true });
    this.fc = new nn.Linear(2 * hidden, classes);
  }

  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(this.embedding.forward(x));
    return this.fc.forward(out);
  }
}

/** The tagger with the weights PyTorch saved, from `tagger.pt` (torch.save) or `tagger.safetensors`. */
export async function loadTagger(path: string): Promise<Tagger> {
  const model = new Tagger(11, 5, 4, 3);
  const { tensors } = path.endsWith(".safetensors") ? await loadSafetensorsFile(path) : await loadTorchFile(path);
  model.loadStateDict(tensors); // throws PyTorch's message if a key or a shape does not fit
  return model.eval();
}
