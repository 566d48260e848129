// The `train` declaration: its settings schema, and the checks that tie the settings to
// each other and to the model they train. The training issue executes the TrainConfig.

import { diagnostic } from "../diagnostics/codes.js";
import type { DiagnosticSink, Span } from "../diagnostics/diagnostic.js";
import type { ArgSpec, ArgValue } from "../ops/types.js";
import type { Expr, TrainDecl, TrainEntry } from "../syntax/ast.js";
import { bindArguments, convertArgument } from "./arguments.js";
import type { ModelGraph } from "./graph.js";
import { closestMatch } from "./suggest.js";
import { Evaluator, Scope } from "./values.js";

export interface Choice {
  name: string;
  config: Record<string, ArgValue | undefined>;
  span: Span;
}

export interface TrainConfig {
  model: string;
  optimizer: Choice;
  scheduler?: Choice;
  loss: Choice;
  metrics: Choice[];
  batch: number;
  epochs: number;
  validationSplit: number;
  earlyStopping?: Choice;
  seed: number;
  span: Span;
}

const float = (name: string, defaultValue: number | undefined, doc: string, min = 0, max?: number): ArgSpec => ({
  name,
  type: { kind: "float", min, max },
  ...(defaultValue === undefined ? { optional: true } : { default: defaultValue }),
  doc,
});
const int = (name: string, defaultValue: number, doc: string, min = 0): ArgSpec => ({ name, type: { kind: "int", min }, default: defaultValue, doc });
const mode: ArgSpec = { name: "mode", type: { kind: "enum", values: ["min", "max"] }, default: "min", doc: "Whether the monitored value should go down (`min`) or up (`max`)." };
const monitor = (values: readonly string[]): ArgSpec => ({ name: "monitor", type: { kind: "enum", values }, default: "val_loss", doc: "The value to watch: `loss`, `val_loss`, or a metric with or without `val_`." });

export const OPTIMIZERS: Record<string, ArgSpec[]> = {
  sgd: [float("lr", 0.01, "Learning rate."), float("momentum", 0, "Momentum factor."), { name: "nesterov", type: { kind: "bool" }, default: false, doc: "Nesterov momentum." }, float("weight_decay", 0, "L2 penalty added to the gradients.")],
  adam: [float("lr", 0.001, "Learning rate."), float("beta1", 0.9, "Decay of the first moment.", 0, 1), float("beta2", 0.999, "Decay of the second moment.", 0, 1), float("epsilon", 1e-8, "Added for stability."), float("weight_decay", 0, "L2 penalty added to the gradients.")],
  adamw: [float("lr", 0.001, "Learning rate."), float("beta1", 0.9, "Decay of the first moment.", 0, 1), float("beta2", 0.999, "Decay of the second moment.", 0, 1), float("epsilon", 1e-8, "Added for stability."), float("weight_decay", 0.01, "Decoupled weight decay.")],
  rmsprop: [float("lr", 0.001, "Learning rate."), float("rho", 0.9, "Decay of the squared-gradient average.", 0, 1), float("momentum", 0, "Momentum factor."), float("epsilon", 1e-7, "Added for stability.")],
};

function schedulers(monitorValues: readonly string[]): Record<string, ArgSpec[]> {
  return {
    reduce_on_plateau: [monitor(monitorValues), mode, float("factor", 0.1, "Multiplies the learning rate on a plateau.", 0, 1), int("patience", 10, "Epochs without improvement before reducing."), float("min_lr", 0, "Lowest learning rate."), int("cooldown", 0, "Epochs to wait after a reduction."), float("threshold", 1e-4, "Smallest change that counts as improvement.")],
    step: [int("step_size", 10, "Epochs between reductions.", 1), float("gamma", 0.1, "Multiplies the learning rate every step_size epochs.", 0)],
    exponential: [float("gamma", 0.95, "Multiplies the learning rate every epoch.", 0)],
    cosine: [int("warmup", 0, "Epochs of linear warm-up."), float("min_lr", 0, "Learning rate at the end.")],
  };
}

export const LOSSES: Record<string, ArgSpec[]> = {
  cross_entropy: [{ name: "from_logits", type: { kind: "bool" }, optional: true, doc: "Whether the model outputs logits; by default, true unless the model ends in softmax." }, float("label_smoothing", 0, "Label smoothing.", 0, 1)],
  binary_cross_entropy: [{ name: "from_logits", type: { kind: "bool" }, optional: true, doc: "Whether the model outputs logits; by default, true unless the model ends in sigmoid." }],
  mse: [],
};

export const METRICS: Record<string, ArgSpec[]> = {
  accuracy: [],
  top_k: [int("k", 5, "How many of the highest-scoring classes count as a hit.", 1)],
};

const SETTINGS = ["optimizer", "scheduler", "loss", "metrics", "batch", "epochs", "validation_split", "early_stopping", "seed"] as const;
export const TRAIN_SETTINGS: readonly string[] = SETTINGS;

function metricName(choice: Choice): string {
  return choice.name === "top_k" ? `top${choice.config["k"] as number}` : choice.name;
}

export class TrainChecker {
  private readonly evaluator: Evaluator;
  constructor(private readonly sink: DiagnosticSink) {
    this.evaluator = new Evaluator(sink);
  }

  check(decl: TrainDecl, models: ReadonlyMap<string, ModelGraph>): TrainConfig | undefined {
    const model = models.get(decl.model.text);
    if (model === undefined && decl.model.text !== "") {
      const suggestion = closestMatch(decl.model.text, models.keys());
      this.sink.add(
        diagnostic("E0213", decl.model.span, `no model is named \`${decl.model.text}\``, {
          help: suggestion ? `did you mean \`${suggestion}\`?` : models.size ? `the models are ${[...models.keys()].map((m) => `\`${m}\``).join(", ")}` : "declare the model in this file",
          fixes: suggestion ? [{ title: `Change to \`${suggestion}\``, edits: [{ span: decl.model.span, newText: suggestion }] }] : [],
        }),
      );
    }
    const entries = new Map<string, TrainEntry>();
    for (const entry of decl.entries) {
      const key = entry.key.text;
      if (key === "") continue;
      if (!(SETTINGS as readonly string[]).includes(key)) {
        const suggestion = closestMatch(key, SETTINGS);
        this.sink.add(diagnostic("E0501", entry.key.span, `unknown training setting \`${key}\``, { help: suggestion ? `did you mean \`${suggestion}\`?` : `the settings are ${SETTINGS.join(", ")}` }));
        continue;
      }
      const earlier = entries.get(key);
      if (earlier !== undefined) {
        const why = key === "scheduler" ? "two schedules cannot both drive the learning rate" : `\`${key}\` is set twice`;
        this.sink.add(diagnostic("E0204", entry.key.span, why, { related: [{ span: earlier.key.span, message: "first set here" }], help: "keep one of them" }));
        continue;
      }
      entries.set(key, entry);
    }
    const scope = new Scope();
    const number = (key: string, fallback: number, min: number, max: number, integer: boolean, maxExclusive = false): number => {
      const entry = entries.get(key);
      if (entry === undefined) return fallback;
      const value = this.evaluator.evaluate(entry.value, scope);
      if (value === undefined) return fallback;
      const converted = convertArgument(value, integer ? { kind: "int", min, max } : { kind: "float", min, max, maxExclusive }, key, entry.value.span, this.evaluator, this.sink);
      return typeof converted === "number" ? converted : fallback;
    };
    const batch = number("batch", 32, 1, 65_536, true);
    const epochs = number("epochs", 10, 1, 100_000, true);
    const validationSplit = number("validation_split", 0.1, 0, 1, false, true);
    const seed = number("seed", 42, 0, 2 ** 31 - 1, true);

    const metrics: Choice[] = [];
    const metricsEntry = entries.get("metrics");
    if (metricsEntry !== undefined) {
      const items = metricsEntry.value.kind === "list" ? metricsEntry.value.items : [metricsEntry.value];
      for (const item of items) {
        const choice = this.choice(item, METRICS, "metric");
        if (choice) metrics.push(choice);
      }
    } else metrics.push({ name: "accuracy", config: {}, span: decl.span });
    const monitorValues = ["loss", "val_loss", ...metrics.flatMap((m) => [metricName(m), `val_${metricName(m)}`])];

    const optimizerEntry = entries.get("optimizer");
    const optimizer = optimizerEntry ? this.choice(optimizerEntry.value, OPTIMIZERS, "optimizer") : { name: "adam", config: defaults(OPTIMIZERS["adam"]!), span: decl.span };
    const schedulerEntry = entries.get("scheduler");
    const scheduler = schedulerEntry ? this.choice(schedulerEntry.value, schedulers(monitorValues), "scheduler") : undefined;
    const lossEntry = entries.get("loss");
    const loss = lossEntry ? this.choice(lossEntry.value, LOSSES, "loss") : { name: "cross_entropy", config: {}, span: decl.span };
    const stoppingEntry = entries.get("early_stopping");
    const earlyStopping = stoppingEntry
      ? this.choice(stoppingEntry.value, { early_stopping: [monitor(monitorValues), mode, int("patience", 5, "Epochs without improvement before stopping."), float("min_delta", 0, "Smallest change that counts as improvement.")] }, "early stopping", "early_stopping")
      : undefined;

    for (const [choice, entry] of [[scheduler, schedulerEntry], [earlyStopping, stoppingEntry]] as const) {
      const watched = choice?.config["monitor"];
      if (typeof watched === "string" && watched.startsWith("val_") && validationSplit === 0 && entry) {
        this.sink.add(diagnostic("E0502", entry.value.span, `\`${watched}\` needs validation data, but validation_split is 0`, { help: "set `validation_split: 0.1`, or monitor a training value" }));
      }
    }
    if (model !== undefined && loss !== undefined && lossEntry !== undefined) this.checkLossFitsModel(loss, lossEntry, model);
    if (optimizer === undefined || loss === undefined) return undefined;
    return { model: decl.model.text, optimizer, scheduler, loss, metrics, batch, epochs, validationSplit, earlyStopping, seed, span: decl.span };
  }

  private checkLossFitsModel(loss: Choice, entry: TrainEntry, model: ModelGraph): void {
    const output = model.outputId === undefined ? undefined : model.nodes[model.outputId];
    if (output === undefined) return;
    const fromLogits = loss.config["from_logits"];
    const squashed = loss.name === "cross_entropy" ? "softmax" : "sigmoid";
    if (loss.name === "mse") return;
    if (fromLogits === true && output.op === squashed) {
      this.sink.add(
        diagnostic("E0502", entry.value.span, `the loss expects logits, but model \`${model.name}\` ends in ${squashed} and outputs probabilities`, {
          related: [{ span: output.span, message: `the ${squashed} is here` }],
          help: `remove \`from_logits: true\`, or remove the final ${squashed}`,
        }),
      );
    } else if (fromLogits === false && output.op !== squashed) {
      this.sink.add(
        diagnostic("E0502", entry.value.span, `the loss expects probabilities, but model \`${model.name}\` ends in ${output.op}, not ${squashed}`, {
          related: [{ span: output.span, message: "the model's last layer is here" }],
          help: `remove \`from_logits: false\`, or end the model with ${squashed}`,
        }),
      );
    }
    if (loss.name === "binary_cross_entropy" && output.shape.length === 1 && output.shape[0] !== 1) {
      this.sink.add(diagnostic("E0502", entry.value.span, `binary_cross_entropy needs one output per example, but model \`${model.name}\` outputs ${output.shape[0]}`, { help: "use cross_entropy for more than two classes, or end with `dense 1`" }));
    }
  }

  /** A setting written as `name` or `name(arg: value, …)`, checked against its choices. */
  private choice(expr: Expr, choices: Record<string, ArgSpec[]>, what: string, only?: string): Choice | undefined {
    let name: string;
    let nameSpan: Span;
    if (expr.kind === "name") [name, nameSpan] = [expr.name.text, expr.name.span];
    else if (expr.kind === "call") [name, nameSpan] = [expr.callee.text, expr.callee.span];
    else if (expr.kind === "missing") return undefined;
    else {
      this.sink.add(diagnostic("E0205", expr.span, `expected ${only ? `\`${only}(…)\`` : `a ${what} such as \`${Object.keys(choices)[0]}\``}`, {}));
      return undefined;
    }
    const specs = choices[name];
    if (specs === undefined) {
      const suggestion = closestMatch(name, Object.keys(choices));
      this.sink.add(
        diagnostic("E0501", nameSpan, `unknown ${what} \`${name}\``, {
          help: suggestion ? `did you mean \`${suggestion}\`?` : `the choices are ${Object.keys(choices).map((c) => `\`${c}\``).join(", ")}`,
          fixes: suggestion ? [{ title: `Change to \`${suggestion}\``, edits: [{ span: nameSpan, newText: suggestion }] }] : [],
        }),
      );
      return undefined;
    }
    const config = defaults(specs);
    if (expr.kind === "call") {
      const call = { name: expr.callee, args: expr.args, parenthesized: true, span: expr.span };
      const bound = bindArguments(call, name, specs.map((s) => ({ name: s.name, positional: false, required: false })), this.sink);
      for (const spec of specs) {
        const arg = bound.byName.get(spec.name);
        if (arg === undefined) continue;
        const value = this.evaluator.evaluate(arg.value, new Scope());
        if (value === undefined) continue;
        const converted = convertArgument(value, spec.type, spec.name, arg.value.span, this.evaluator, this.sink);
        if (converted !== undefined) config[spec.name] = converted;
      }
    }
    return { name, config, span: expr.span };
  }
}

function defaults(specs: readonly ArgSpec[]): Record<string, ArgValue | undefined> {
  return Object.fromEntries(specs.map((s) => [s.name, s.default]));
}

