// Evaluation without gradients: the mean loss, each metric, and optionally the predicted
// class of every image (for a confusion matrix).

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import type { Dataset } from "../data/dataset.js";
import { batchTensors, range } from "./batches.js";
import type { Objective } from "./objective.js";

export interface Evaluation {
  loss: number;
  metrics: Record<string, number>;
  predicted?: Int32Array;
}

export async function evaluateModel(tf: Tf, model: tfjs.LayersModel, objective: Objective, data: Dataset, batch: number, keepPredictions = false): Promise<Evaluation> {
  let lossSum = 0;
  const hitSums = objective.metricKeys.map(() => 0);
  const predicted = keepPredictions ? new Int32Array(data.count) : undefined;
  for (let start = 0; start < data.count; start += batch) {
    const end = Math.min(start + batch, data.count);
    const { x, y } = batchTensors(tf, data, range(start, end));
    const [loss, hits, classes] = tf.tidy(() => {
      const output = model.apply(x, { training: false }) as tfjs.Tensor;
      const best = output.shape[1] === 1 ? output.reshape([-1]).greater(objective.fromLogits ? 0 : 0.5).toInt() : output.argMax(-1);
      return [objective.loss(output, y), objective.hits(output, y), best];
    });
    lossSum += (await loss.data())[0]! * (end - start);
    const counts = await hits.data();
    counts.forEach((c, i) => (hitSums[i]! += c));
    if (predicted) predicted.set(await classes.data(), start);
    tf.dispose([x, y, loss, hits, classes]);
  }
  return {
    loss: lossSum / data.count,
    metrics: Object.fromEntries(objective.metricKeys.map((key, i) => [key, hitSums[i]! / data.count])),
    predicted,
  };
}
