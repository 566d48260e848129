// The most bytes tfjs holds at once while a function runs.

import * as tf from "@tensorflow/tfjs";

/**
 * Every new tensor passes through the engine's trackTensor, so the peak of
 * tf.memory().numBytes is read there. tf.profile finds the same peak but reads back every
 * kernel's output, which makes a training step on the cpu backend minutes long.
 */
export function peakBytesDuring(run: () => void): number {
  const engine = tf.engine() as unknown as { trackTensor: (...args: unknown[]) => void; state: { numBytes: number } };
  const track = engine.trackTensor;
  let peak = engine.state.numBytes;
  engine.trackTensor = function (this: unknown, ...args: unknown[]) {
    track.apply(this, args);
    peak = Math.max(peak, engine.state.numBytes);
  };
  try {
    run();
  } finally {
    engine.trackTensor = track;
  }
  return peak;
}
