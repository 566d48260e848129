// "Did you mean …?" suggestions by edit distance.

/** Edit distance in which swapping two adjacent letters counts as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
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

/** The closest candidate within a third of the word's length (at least one edit), if any. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const all = [...candidates];
  const alias = ALIASES[word.toLowerCase()];
  if (alias !== undefined && all.includes(alias)) return alias;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of all) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
