// "Did you mean …?" suggestions by edit distance.

/** Suggestions are for typos: a word that needs more edits than this to match is not suggested. */
const MAX_EDITS = 8;

/**
 * Edit distance in which swapping two adjacent letters counts as one edit (optimal string
 * alignment), or `max + 1` once it is certain to exceed `max`. Only the band of cells within
 * `max` of the diagonal can stay within `max`, so a name or path of 100,000 characters costs
 * time in its length times `max`, not in its length squared (fuzz #9067: a 76 KB import path).
 */
export function editDistance(a: string, b: string, max = Math.max(a.length, b.length)): number {
  if (a.length < b.length) [a, b] = [b, a];
  if (a.length - b.length > max) return max + 1;
  const width = b.length + 1;
  const over = max + 1;
  // Three rows: the one before the last, the last, and the one being filled.
  let before = new Int32Array(width).fill(over);
  let last = new Int32Array(width);
  let row = new Int32Array(width);
  for (let j = 0; j < width; j++) last[j] = Math.min(j, over);
  for (let i = 1; i <= a.length; i++) {
    row.fill(over);
    const from = Math.max(1, i - max);
    const to = Math.min(b.length, i + max);
    if (i <= max) row[0] = i;
    let best = row[0]!;
    for (let j = from; j <= to; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(last[j]! + 1, row[j - 1]! + 1, last[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      row[j] = Math.min(value, over);
      best = Math.min(best, row[j]!);
    }
    if (best > max) return over;
    [before, last, row] = [last, row, before];
  }
  return last[b.length]!;
}

/** Names people bring from Keras, PyTorch and other tools, and what cnnc calls them. */
const ALIASES: Record<string, string> = {
  batch_size: "batch",
  epoch: "epochs",
  learning_rate: "lr",
  acc: "accuracy",
  val_acc: "val_accuracy",
  kernel_size: "kernel",
  strides: "stride",
  pool_size: "kernel",
  out_channels: "filters",
  num_features: "in_channels",
  out_features: "units",
  p: "rate",
  conv2d: "conv",
  linear: "dense",
  maxpool2d: "maxpool",
  avgpool2d: "avgpool",
  batchnorm2d: "batchnorm",
  batch_norm: "batchnorm",
  categorical_crossentropy: "cross_entropy",
  sparse_categorical_crossentropy: "cross_entropy",
  crossentropy: "cross_entropy",
};

/** The closest candidate within a third of the word's length (at least one edit, at most MAX_EDITS), if any. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const all = [...candidates];
  const alias = ALIASES[word.toLowerCase()];
  if (alias !== undefined && all.includes(alias)) return alias;
  const limit = Math.min(MAX_EDITS, Math.max(1, Math.floor(word.length / 3)));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of all) {
    if (candidate === word) continue;
    const distance = editDistance(lower, candidate.toLowerCase(), limit);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
