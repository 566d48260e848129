// Optimizers from tfjs, with what tfjs lacks added around them: L2 weight decay for sgd and
// adam (added to the gradients), AdamW's decoupled weight decay (applied to the weights
// after each step), a learning rate the schedules can change, and state that can be saved
// and restored for --resume.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import type { TrainSettings } from "./config.js";

export interface TrainingOptimizer {
  /** Applies one step to `variables` given the loss function; returns the loss. */
  step(lossFn: () => tfjs.Scalar, variables: tfjs.Variable[]): tfjs.Scalar;
  setLearningRate(lr: number): void;
  learningRate(): number;
  saveState(): Promise<{ specs: { name: string; shape: number[]; dtype: string }[]; data: Uint8Array }>;
  loadState(specs: { name: string; shape: number[]; dtype: string }[], data: Uint8Array): Promise<void>;
}

export function makeOptimizer(tf: Tf, settings: TrainSettings["optimizer"]): TrainingOptimizer {
  const c = settings.config;
  const num = (key: string, fallback = 0): number => (c[key] as number | undefined) ?? fallback;
  let lr = num("lr", 0.001);
  let inner: tfjs.Optimizer;
  switch (settings.name) {
    case "sgd":
      inner = num("momentum") > 0 ? tf.train.momentum(lr, num("momentum"), c["nesterov"] === true) : tf.train.sgd(lr);
      break;
    case "adam":
    case "adamw":
      inner = tf.train.adam(lr, num("beta1", 0.9), num("beta2", 0.999), num("epsilon", 1e-8));
      break;
    case "rmsprop":
      inner = tf.train.rmsprop(lr, num("rho", 0.9), num("momentum"), num("epsilon", 1e-7));
      break;
    default:
      throw new Error(`unknown optimizer ${settings.name}`);
  }
  const decay = num("weight_decay");
  const decoupled = settings.name === "adamw";
  return {
    step(lossFn, variables) {
      const { value, grads } = tf.variableGrads(lossFn, variables);
      if (decay > 0 && !decoupled) {
        for (const v of variables) {
          const g = grads[v.name]!;
          grads[v.name] = g.add(v.mul(decay));
          g.dispose();
        }
      }
      inner.applyGradients(grads);
      tf.dispose(Object.values(grads));
      if (decay > 0 && decoupled) for (const v of variables) v.assign(v.sub(v.mul(lr * decay)));
      return value;
    },
    setLearningRate(rate) {
      lr = rate;
      // Every tfjs optimizer reads its `learningRate` field at each step; only SGD has a setter.
      (inner as unknown as { learningRate: number }).learningRate = rate;
      const sgd = inner as unknown as { setLearningRate?: (rate: number) => void };
      if (typeof sgd.setLearningRate === "function") sgd.setLearningRate(rate);
    },
    learningRate: () => lr,
    async saveState() {
      const weights = await inner.getWeights();
      const specs = weights.map((w) => ({ name: w.name, shape: w.tensor.shape, dtype: w.tensor.dtype }));
      const arrays = await Promise.all(weights.map(async (w) => new Uint8Array(((await w.tensor.data()) as Float32Array | Int32Array).slice().buffer)));
      const data = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
      let offset = 0;
      for (const a of arrays) {
        data.set(a, offset);
        offset += a.byteLength;
      }
      return { specs, data };
    },
    async loadState(specs, data) {
      let offset = 0;
      const weights = specs.map((spec) => {
        const size = spec.shape.reduce((a, b) => a * b, 1);
        const bytes = data.slice(offset, offset + size * 4);
        offset += size * 4;
        const values = spec.dtype === "int32" ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
        return { name: spec.name, tensor: tf.tensor(values, spec.shape, spec.dtype as "float32" | "int32") };
      });
      await inner.setWeights(weights);
    },
  };
}
