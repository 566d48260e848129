// The settings a run uses: the model's `train` declaration (already checked in
// src/check/train.ts), or its defaults, with command-line flags laid over it.

import type { ArgValue } from "../ops/types.js";
import { OPTIMIZERS, type Choice, type TrainConfig } from "../check/train.js";

export interface TrainSettings {
  optimizer: { name: string; config: Record<string, ArgValue | undefined> };
  scheduler?: { name: string; config: Record<string, ArgValue | undefined> };
  loss: { name: string; config: Record<string, ArgValue | undefined> };
  metrics: { name: string; config: Record<string, ArgValue | undefined> }[];
  batch: number;
  epochs: number;
  validationSplit: number;
  earlyStopping?: { name: string; config: Record<string, ArgValue | undefined> };
  seed: number;
}

export interface TrainOverrides {
  optimizer?: string;
  lr?: number;
  batch?: number;
  epochs?: number;
  validationSplit?: number;
  seed?: number;
}

export class SettingsError extends Error {}

function plain(choice: Choice | undefined): TrainSettings["optimizer"] | undefined {
  return choice === undefined ? undefined : { name: choice.name, config: { ...choice.config } };
}

function defaults(name: string): Record<string, ArgValue | undefined> {
  return Object.fromEntries((OPTIMIZERS[name] ?? []).map((spec) => [spec.name, spec.default]));
}

/** Lays the flags over the declaration; without a declaration the checker's defaults apply. */
export function resolveSettings(declared: TrainConfig | undefined, overrides: TrainOverrides): TrainSettings {
  const base: TrainSettings = declared
    ? {
        optimizer: plain(declared.optimizer)!,
        scheduler: plain(declared.scheduler),
        loss: plain(declared.loss)!,
        metrics: declared.metrics.map((m) => plain(m)!),
        batch: declared.batch,
        epochs: declared.epochs,
        validationSplit: declared.validationSplit,
        earlyStopping: plain(declared.earlyStopping),
        seed: declared.seed,
      }
    : { optimizer: { name: "adam", config: defaults("adam") }, loss: { name: "cross_entropy", config: {} }, metrics: [{ name: "accuracy", config: {} }], batch: 32, epochs: 10, validationSplit: 0.1, seed: 42 };
  if (overrides.optimizer !== undefined && overrides.optimizer !== base.optimizer.name) {
    if (!(overrides.optimizer in OPTIMIZERS)) throw new SettingsError(`--optimizer expects one of ${Object.keys(OPTIMIZERS).join(", ")}, found \`${overrides.optimizer}\``);
    // Another optimizer keeps only the learning rate: momentum or betas do not carry over.
    const lr = base.optimizer.config["lr"];
    base.optimizer = { name: overrides.optimizer, config: { ...defaults(overrides.optimizer), lr } };
  }
  if (overrides.lr !== undefined) base.optimizer.config["lr"] = overrides.lr;
  if (overrides.batch !== undefined) base.batch = overrides.batch;
  if (overrides.epochs !== undefined) base.epochs = overrides.epochs;
  if (overrides.seed !== undefined) base.seed = overrides.seed;
  if (overrides.validationSplit !== undefined) base.validationSplit = overrides.validationSplit;
  for (const watcher of [base.scheduler, base.earlyStopping]) {
    const monitor = watcher?.config["monitor"];
    if (typeof monitor === "string" && monitor.startsWith("val_") && base.validationSplit === 0) {
      throw new SettingsError(`\`${watcher!.name}\` monitors \`${monitor}\`, which needs validation data, but the validation split is 0; pass --validation-split 0.1`);
    }
  }
  return base;
}

export function metricKey(metric: TrainSettings["metrics"][number]): string {
  return metric.name === "top_k" ? `top${metric.config["k"] as number}` : metric.name;
}
