import { describe, expect, test } from "vitest";
import { manualSeed, nn, randn, tensor } from "../../index.js";
import { packPaddedSequence, packSequence, padPackedSequence, padSequence } from "./rnn.js";
import { absTol, expectAllClose } from "../../../test/helpers.js";

describe("packing", () => {
  test("a padded batch gives each sequence the final states it has when run alone", () => {
    manualSeed(3);
    const lengths = [4, 7, 1, 5];
    const seqs = lengths.map((l) => randn([l, 3]));
    const layers: nn.RNNBase[] = [new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true }), new nn.GRU(3, 5, { bidirectional: true }), new nn.RNN(3, 5, 2)];
    for (const layer of layers) {
      const padded = padSequence(seqs, { paddingValue: 9 }); // garbage padding must not leak in
      const packed = packPaddedSequence(padded, lengths, { enforceSorted: false });
      const [out, state] = layer.forward(packed);
      const hN = Array.isArray(state) ? state[0] : state;
      const [unpacked, outLengths] = padPackedSequence(out);
      expect(Array.from(outLengths.data)).toEqual(lengths);
      seqs.forEach((s, b) => {
        const [alone, aloneState] = layer.forward(s.unsqueeze(1));
        const hAlone = Array.isArray(aloneState) ? aloneState[0] : aloneState;
        expectAllClose(hN.narrow(1, b, 1), hAlone, `hN of sequence ${b}`, absTol(1e-6));
        const mine = unpacked.narrow(1, b, 1);
        expectAllClose(mine.narrow(0, 0, lengths[b]!), alone, `output of sequence ${b}`, absTol(1e-6));
        // Past its length a sequence's output is exactly the padding value (0).
        if (lengths[b]! < 7) {
          const past = mine.narrow(0, lengths[b]!, 7 - lengths[b]!);
          expectAllClose(past, new Array<number>(past.numel()).fill(0), `padding of sequence ${b}`, absTol(0));
        }
      });
    }
  });

  test("pack and pad round trip, with batchFirst and totalLength", () => {
    const x = tensor([[[1], [2], [3]], [[4], [5], [0]]]); // [B=2, T=3, 1]
    const packed = packPaddedSequence(x, [3, 2], { batchFirst: true });
    expect(Array.from(packed.data.data)).toEqual([1, 4, 2, 5, 3]);
    expect(Array.from(packed.batchSizes)).toEqual([2, 2, 1]);
    const [back, lengths] = padPackedSequence(packed, { batchFirst: true, totalLength: 4, paddingValue: -1 });
    expect(back.tolist()).toEqual([[[1], [2], [3], [-1]], [[4], [5], [-1], [-1]]]);
    expect(lengths.tolist()).toEqual([3, 2]);
  });

  test("packSequence sorts when asked and restores the order", () => {
    const seqs = [tensor([[1], [2]]), tensor([[3], [4], [5]])];
    expect(() => packSequence(seqs)).toThrow(/sorted in decreasing order.*enforceSorted: false/);
    const packed = packSequence(seqs, { enforceSorted: false });
    expect(Array.from(packed.sortedIndices!)).toEqual([1, 0]);
    expect(padPackedSequence(packed)[0].tolist()).toEqual([[[1], [3]], [[2], [4]], [[0], [5]]]);
  });

  test("padSequence pads right or left", () => {
    const seqs = [tensor([1, 2, 3]), tensor([4])];
    expect(padSequence(seqs, { batchFirst: true }).tolist()).toEqual([[1, 2, 3], [4, 0, 0]]);
    expect(padSequence(seqs, { batchFirst: true, paddingSide: "left", paddingValue: -1 }).tolist()).toEqual([[1, 2, 3], [-1, -1, 4]]);
    expect(padSequence(seqs).shape).toEqual([3, 2]);
  });

  test("bad lengths are named", () => {
    const x = randn([3, 2, 1]);
    expect(() => packPaddedSequence(x, [3, 0])).toThrow(/greater than 0/);
    expect(() => packPaddedSequence(x, [4, 2])).toThrow(/length of 4 exceeds the 3 time steps/);
    expect(() => packPaddedSequence(x, [3])).toThrow(/expected 2 lengths/);
    expect(() => padPackedSequence(packPaddedSequence(x, [3, 2]), { totalLength: 2 })).toThrow(/totalLength/);
  });

  test("packed input with the wrong feature size names the shapes", () => {
    const lstm = new nn.LSTM(4, 3);
    const packed = packPaddedSequence(randn([3, 2, 5]), [3, 2]);
    expect(() => lstm.forward(packed)).toThrow(/Expected 4, got 5 \(packed data \[5, 5\]/);
  });
});
