// Seeded randomness for shuffling and augmentation, so that a run and its resumed
// continuation see the same batches.

/** mulberry32: small, fast, and good enough to shuffle and augment images. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates permutation of 0 … count−1. */
export function shuffledIndices(count: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The order of one epoch depends only on the seed and the epoch, so a resumed run repeats it. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return shuffledIndices(count, (seed * 1_000_003 + epoch * 7919) >>> 0);
}
