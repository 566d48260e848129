// Losses and metrics as tensor functions of the model's output and the labels. Labels are
// class indices (int32, [batch]) or dense targets (float32, [batch, K]): cross-entropy
// takes either. Metrics return counts, summed over an epoch and divided once at its end.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { metricKey, type TrainSettings } from "./config.js";

type Tensor = tfjs.Tensor;

export interface Objective {
  /** The mean loss over the batch. */
  loss(output: Tensor, labels: Tensor): tfjs.Scalar;
  /** Each metric's count of hits in the batch, as a [metrics] tensor. */
  hits(output: Tensor, labels: Tensor): tfjs.Tensor1D;
  metricKeys: string[];
  /** Whether the model's output is logits (softmax/sigmoid still to apply) rather than probabilities. */
  fromLogits: boolean;
}

const EPSILON = 1e-7;

/** The model's last op decides the default: logits unless it ends in softmax (sigmoid for binary). */
export function outputIsLogits(settings: TrainSettings, lastOp: string): boolean {
  const explicit = settings.loss.config["from_logits"];
  if (typeof explicit === "boolean") return explicit;
  if (settings.loss.name === "binary_cross_entropy") return lastOp !== "sigmoid";
  return lastOp !== "softmax";
}

export function makeObjective(tf: Tf, settings: TrainSettings, lastOp: string, width: number): Objective {
  const fromLogits = outputIsLogits(settings, lastOp);
  const lossName = settings.loss.name;
  const dense = (labels: Tensor): Tensor => (labels.dtype === "int32" ? (width === 1 ? labels.reshape([-1, 1]).toFloat() : tf.oneHot(labels as tfjs.Tensor1D, width).toFloat()) : labels);
  const classOf = (labels: Tensor): Tensor => (labels.dtype === "int32" ? labels : width === 1 ? labels.reshape([-1]).greater(0.5).toInt() : labels.argMax(-1));
  const smoothing = (settings.loss.config["label_smoothing"] as number | undefined) ?? 0;

  const loss = (output: Tensor, labels: Tensor): tfjs.Scalar => {
    const target = dense(labels);
    if (lossName === "mse") return tf.losses.meanSquaredError(target, fromLogits && lastOp !== "softmax" ? output : output) as tfjs.Scalar;
    if (lossName === "binary_cross_entropy") {
      if (fromLogits) return tf.losses.sigmoidCrossEntropy(target, output) as tfjs.Scalar;
      const p = output.clipByValue(EPSILON, 1 - EPSILON);
      return target.mul(p.log()).add(tf.scalar(1).sub(target).mul(tf.scalar(1).sub(p).log())).mean().neg() as tfjs.Scalar;
    }
    const smoothed = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / width) : target;
    if (fromLogits) return tf.losses.softmaxCrossEntropy(smoothed, output) as tfjs.Scalar;
    return smoothed.mul(output.clipByValue(EPSILON, 1).log()).sum(-1).mean().neg() as tfjs.Scalar;
  };

  const hits = (output: Tensor, labels: Tensor): tfjs.Tensor1D => {
    const truth = classOf(labels);
    const counts = settings.metrics.map((metric) => {
      if (width === 1) {
        const predicted = output.reshape([-1]).greater(fromLogits ? 0 : 0.5).toInt();
        return predicted.equal(truth).sum().toFloat();
      }
      if (metric.name === "top_k") {
        const k = Math.min(metric.config["k"] as number, width);
        const top = tf.topk(output, k).indices;
        return top.equal(truth.reshape([-1, 1])).any(-1).sum().toFloat();
      }
      return output.argMax(-1).equal(truth).sum().toFloat();
    });
    return (counts.length ? tf.stack(counts) : tf.zeros([0])) as tfjs.Tensor1D;
  };
  return { loss, hits, metricKeys: settings.metrics.map(metricKey), fromLogits };
}
