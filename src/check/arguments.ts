// Matching a call's arguments to the parameters of a layer or block, and converting the
// values to the types that an op's arguments declare.

import type { DiagnosticSink, Span } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/codes.js";
import type { Argument, Call } from "../syntax/ast.js";
import type { ArgType, ArgValue, Padding } from "../ops/types.js";
import { closestMatch } from "./suggest.js";
import { describeValue, isSymbol, type Evaluator, type Value } from "./values.js";

export interface Slot {
  name: string;
  positional: boolean;
  variadic?: boolean;
  required: boolean;
}

export interface BoundArguments {
  byName: Map<string, Argument>;
  variadic: Argument[];
  ok: boolean;
}

/** Assigns each argument of `call` to a slot, reporting unknown, duplicate, extra and missing ones. */
export function bindArguments(call: Call, calleeName: string, slots: readonly Slot[], sink: DiagnosticSink): BoundArguments {
  const byName = new Map<string, Argument>();
  const variadic: Argument[] = [];
  let ok = true;
  const positionalSlots = slots.filter((s) => s.positional);
  // A misspelled argument that suggests a missing one is a single mistake: report it once.
  const suggestedSlots = new Set<string>();
  let nextPositional = 0;
  for (const arg of call.args) {
    if (arg.name === undefined) {
      const slot = positionalSlots[nextPositional];
      if (slot?.variadic) {
        variadic.push(arg);
        continue;
      }
      if (slot === undefined) {
        ok = false;
        const names = slots.filter((s) => !s.positional && !byName.has(s.name)).map((s) => s.name);
        sink.add(
          diagnostic("E0208", arg.span, `\`${calleeName}\` takes ${positionalSlots.length} positional argument${positionalSlots.length === 1 ? "" : "s"}, but this is number ${nextPositional + 1}`, {
            help: names.length > 0 ? `name it, for example \`${names[0]}: …\`` : "remove it",
          }),
        );
        nextPositional++;
        continue;
      }
      nextPositional++;
      if (byName.has(slot.name)) {
        ok = false;
        sink.add(diagnostic("E0204", arg.span, `argument \`${slot.name}\` is given twice`, { help: "remove one of them" }));
        continue;
      }
      byName.set(slot.name, arg);
      continue;
    }
    const name = arg.name.text;
    const slot = slots.find((s) => s.name === name);
    if (slot === undefined) {
      ok = false;
      const suggestion = closestMatch(name, slots.map((s) => s.name));
      if (suggestion !== undefined) suggestedSlots.add(suggestion);
      sink.add(
        diagnostic("E0202", arg.name.span, `\`${calleeName}\` has no argument \`${name}\``, {
          help: suggestion ? `did you mean \`${suggestion}\`?` : slots.length > 0 ? `its arguments are ${slots.map((s) => `\`${s.name}\``).join(", ")}` : `\`${calleeName}\` takes no arguments`,
          fixes: suggestion ? [{ title: `Change to \`${suggestion}\``, edits: [{ span: arg.name.span, newText: suggestion }] }] : [],
        }),
      );
      continue;
    }
    if (byName.has(name) || (slot.variadic && variadic.length > 0)) {
      ok = false;
      const earlier = byName.get(name);
      sink.add(
        diagnostic("E0204", arg.span, `argument \`${name}\` is given twice`, {
          related: earlier ? [{ span: earlier.span, message: "first given here" }] : [],
          help: "remove one of them",
          fixes: [{ title: "Remove this argument", edits: [{ span: argumentRemoval(call, arg), newText: "" }] }],
        }),
      );
      continue;
    }
    byName.set(name, arg);
  }
  for (const slot of slots) {
    if (slot.required && !byName.has(slot.name) && !(slot.variadic && variadic.length > 0)) {
      ok = false;
      if (suggestedSlots.has(slot.name)) continue;
      sink.add(
        diagnostic("E0203", call.name.span, `\`${calleeName}\` needs the argument \`${slot.name}\``, {
          help: slot.positional ? `give it by position or as \`${slot.name}: …\`` : `add \`${slot.name}: …\``,
        }),
      );
    }
  }
  return { byName, variadic, ok };
}

function typeDescription(type: ArgType): string {
  switch (type.kind) {
    case "int":
      return "a whole number";
    case "float":
      return "a number";
    case "bool":
      return "true or false";
    case "enum":
      return `one of ${type.values.map((v) => `\`${v}\``).join(", ")}`;
    case "pair":
      return "a whole number or [height, width]";
    case "padding":
      return `a number, [h, w] or [top, bottom, left, right]${type.modes.length ? `, or ${type.modes.map((m) => `\`${m}\``).join(" or ")}` : ""}`;
    case "tensor":
      return "a tensor name";
  }
}

/** Converts an evaluated argument to its declared type; undefined after reporting a problem. */
export function convertArgument(value: Value, type: ArgType, argName: string, span: Span, evaluator: Evaluator, sink: DiagnosticSink): ArgValue | undefined {
  const mistyped = (): undefined => {
    if (isSymbol(value) && type.kind !== "enum" && type.kind !== "padding") return evaluator.reportUnknownName(value);
    sink.add(diagnostic("E0205", span, `\`${argName}\` must be ${typeDescription(type)}, found ${describeValue(value)}`, enumHelp(value, type, span)));
    return undefined;
  };
  const outOfRange = (message: string, help: string): undefined => {
    sink.add(diagnostic("E0206", span, message, { help }));
    return undefined;
  };
  switch (type.kind) {
    case "int": {
      if (typeof value !== "number") return mistyped();
      if (!Number.isInteger(value)) return mistyped();
      // Past 2^53 a whole number no longer counts by ones, and size arithmetic with it never ends.
      if (!Number.isSafeInteger(value)) return outOfRange(`\`${argName}\` is too large, found ${value}`, "use a value below 2^53");
      if (type.min !== undefined && value < type.min) return outOfRange(`\`${argName}\` must be at least ${type.min}, found ${value}`, `use a value ≥ ${type.min}`);
      if (type.max !== undefined && value > type.max) return outOfRange(`\`${argName}\` must be at most ${type.max}, found ${value}`, `use a value ≤ ${type.max}`);
      return value;
    }
    case "float": {
      if (typeof value !== "number") return mistyped();
      if (type.min !== undefined && value < type.min) return outOfRange(`\`${argName}\` must be at least ${type.min}, found ${value}`, `use a value ≥ ${type.min}`);
      if (type.max !== undefined && (type.maxExclusive ? value >= type.max : value > type.max)) {
        const bound = type.maxExclusive ? `below ${type.max}` : `at most ${type.max}`;
        return outOfRange(`\`${argName}\` must be ${bound}, found ${value}`, `use a value ${type.maxExclusive ? "<" : "≤"} ${type.max}`);
      }
      return value;
    }
    case "bool":
      return typeof value === "boolean" ? value : mistyped();
    case "enum": {
      const word = isSymbol(value) ? value.name : value;
      if (typeof word === "string" && type.values.includes(word)) return word;
      return mistyped();
    }
    case "pair": {
      const items = typeof value === "number" ? [value, value] : Array.isArray(value) && value.length === 2 ? value : undefined;
      if (items === undefined || !items.every((v) => typeof v === "number" && Number.isSafeInteger(v))) return mistyped();
      const [a, b] = items as [number, number];
      if (a < type.min || b < type.min) return outOfRange(`\`${argName}\` must be at least ${type.min}, found ${describeValue(value)}`, `use values ≥ ${type.min}`);
      return [a, b] as const;
    }
    case "padding": {
      const word = isSymbol(value) ? value.name : value;
      if (typeof word === "string") {
        if ((type.modes as readonly string[]).includes(word)) return { mode: word } as Padding;
        return mistyped();
      }
      const items = typeof value === "number" ? [value, value, value, value] : Array.isArray(value) ? value : undefined;
      if (items === undefined || !items.every((v) => typeof v === "number" && Number.isSafeInteger(v))) return mistyped();
      const n = items as number[];
      const sides = n.length === 4 ? n : n.length === 2 ? [n[0]!, n[0]!, n[1]!, n[1]!] : undefined;
      if (sides === undefined) return mistyped();
      if (sides.some((p) => p < 0)) return outOfRange(`\`${argName}\` cannot be negative, found ${describeValue(value)}`, "use 0 or more; to crop, use a stride or pooling instead");
      return { mode: "explicit", top: sides[0]!, bottom: sides[1]!, left: sides[2]!, right: sides[3]! };
    }
    case "tensor":
      return isSymbol(value) ? value.name : typeof value === "string" ? value : mistyped();
  }
}

function enumHelp(value: Value, type: ArgType, span: Span): { help?: string; fixes?: { title: string; edits: { span: Span; newText: string }[] }[] } {
  const choices = type.kind === "enum" ? type.values : type.kind === "padding" ? type.modes : [];
  const word = isSymbol(value) ? value.name : typeof value === "string" ? value : undefined;
  if (word === undefined || choices.length === 0) return {};
  const suggestion = closestMatch(word, choices);
  if (suggestion === undefined) return {};
  return { help: `did you mean \`${suggestion}\`?`, fixes: [{ title: `Change to \`${suggestion}\``, edits: [{ span, newText: suggestion }] }] };
}

/**
 * The span that removes an argument from a call with the separator before it:
 * `, in_channels: 64` from `conv 128, kernel: 3, in_channels: 64`, or, for the first
 * argument, everything from the layer's name (`batchnorm, in_channels: 64`) or from the
 * argument itself up to the next one.
 */
export function argumentRemoval(call: Call, argument: Argument): Span {
  const index = call.args.indexOf(argument);
  if (index > 0) return { start: call.args[index - 1]!.span.end, end: argument.span.end };
  const next = call.args[1];
  if (call.parenthesized) return { start: argument.span.start, end: next?.span.start ?? argument.span.end };
  return next === undefined ? { start: call.name.span.end, end: argument.span.end } : { start: argument.span.start, end: next.span.start };
}
