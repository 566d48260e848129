// Compile-time values and the evaluation of expressions: parameters, `let` constants, loop
// variables and arguments are all computed here before any shape rule runs.

import type { Span } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/codes.js";
import { formatLimit, LIMITS } from "../limits.js";
import type { Expr } from "../syntax/ast.js";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { closestMatch } from "./suggest.js";
import { add, ceilDiv, floorDiv, formatDim, mul, remainder, SizeTooComplex, sub, Sym, type Dim } from "../shape/symbolic.js";

/**
 * A bare word that names nothing in scope, such as `same` in `padding: same`. It stays a
 * symbol until an argument type accepts it as a choice or a tensor name; any other use
 * reports it as an unknown name, with the candidates that were in scope where it was written.
 */
export interface SymbolValue {
  kind: "symbol";
  name: string;
  span: Span;
  candidates: readonly string[];
}

/** The value of a constant or parameter whose definition failed; uses of it stay silent. */
export interface FailedValue {
  kind: "failed";
}

export const FAILED: FailedValue = { kind: "failed" };

/** A symbolic size (H, W, ceil(H/32), …): see symbolic.ts. */
export type Value = number | boolean | string | SymbolValue | FailedValue | Sym | readonly Value[];

export function isSymbol(value: Value): value is SymbolValue {
  return typeof value === "object" && !Array.isArray(value) && (value as SymbolValue).kind === "symbol";
}

export function isSize(value: Value): value is Sym {
  return value instanceof Sym;
}

export function describeValue(value: Value): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (isSymbol(value)) return `\`${value.name}\``;
  if (isSize(value)) return `the symbolic size ${formatDim(value)}`;
  if ((value as FailedValue).kind === "failed") return "?";
  return `[${(value as readonly Value[]).map(describeValue).join(", ")}]`;
}

export interface Binding {
  value: Value;
  span: Span;
}

/** The values a list holds in all (nested lists' items included) and how deeply it nests, for the lists the evaluator made. */
const LIST_EXTENTS = new WeakMap<readonly Value[], { size: number; depth: number }>();

function listExtent(list: readonly Value[]): { size: number; depth: number } {
  // Lists not made by a list expression (range, loop items) are flat or small.
  return LIST_EXTENTS.get(list) ?? { size: list.length, depth: list.some(Array.isArray) ? 2 : 1 };
}

/** A lexical scope of compile-time values. */
export class Scope {
  private readonly vars = new Map<string, Binding>();
  constructor(private readonly parent?: Scope) {}

  lookup(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  hasOwn(name: string): boolean {
    return this.vars.has(name);
  }

  define(name: string, binding: Binding): void {
    this.vars.set(name, binding);
  }

  names(): string[] {
    const own = [...this.vars.keys()];
    return this.parent ? [...own, ...this.parent.names()] : own;
  }

  child(): Scope {
    return new Scope(this);
  }
}


const BUILTINS: Record<string, { arity: [number, number]; doc: string }> = {
  min: { arity: [1, 64], doc: "The smallest of its arguments." },
  max: { arity: [1, 64], doc: "The largest of its arguments." },
  floor: { arity: [1, 1], doc: "Rounds down to a whole number." },
  ceil: { arity: [1, 1], doc: "Rounds up to a whole number." },
  round: { arity: [1, 1], doc: "Rounds to the nearest whole number." },
  abs: { arity: [1, 1], doc: "The absolute value." },
  range: { arity: [1, 2], doc: "range(n) is [0, …, n−1]; range(a, b) is [a, …, b−1]." },
  len: { arity: [1, 1], doc: "The length of a list." },
};

export const BUILTIN_FUNCTIONS: readonly string[] = Object.keys(BUILTINS);

export class Evaluator {
  /**
   * Set while a model with symbolic sizes is checked: an exact division such as `H / 32`
   * asks it whether the division can be exact, which narrows the accepted sizes.
   */
  exactDivision: ((dividend: Sym, divisor: number, span: Span) => boolean) | undefined;

  constructor(private readonly sink: DiagnosticSink) {}

  /**
   * A list value within the limits. Through `let`, a list can hold itself twice per line
   * (`let b = [a, a]`), so its items in all can double and its depth grow by one per line
   * without any deep or long expression: both are counted here, where lists are made.
   */
  private boundedList(items: Value[], span: Span): Value[] | undefined {
    let size = items.length;
    let depth = 1;
    for (const item of items) {
      if (!Array.isArray(item)) continue;
      const extent = listExtent(item);
      size += extent.size;
      depth = Math.max(depth, extent.depth + 1);
    }
    if (size > LIMITS.listLength) return this.fail(span, `this list would hold ${formatLimit(size)} values in all, over the limit of ${formatLimit(LIMITS.listLength)}`, "build smaller lists", "E0401");
    if (depth > LIMITS.nesting) return this.fail(span, `this list would nest ${depth} lists deep, over the limit of ${LIMITS.nesting}`, "build flatter lists", "E0401");
    LIST_EXTENTS.set(items, { size, depth });
    return items;
  }

  private fail(span: Span, message: string, help?: string, code: "E0401" | "E0402" | "E0404" = "E0402"): undefined {
    this.sink.add(diagnostic(code, span, message, { help }));
    return undefined;
  }

  /** Evaluates an expression; undefined after reporting why it has no value. */
  evaluate(expr: Expr, scope: Scope): Value | undefined {
    try {
      return this.evaluateUnguarded(expr, scope);
    } catch (error) {
      if (!(error instanceof SizeTooComplex)) throw error;
      return this.fail(expr.span, error.message, "simplify the size arithmetic, or fix the sizes with `--shape H=…,W=…`", "E0404");
    }
  }

  private evaluateUnguarded(expr: Expr, scope: Scope): Value | undefined {
    switch (expr.kind) {
      case "number":
        return expr.value;
      case "string":
        return expr.value;
      case "bool":
        return expr.value;
      case "missing":
        return undefined;
      case "paren":
        return this.evaluate(expr.inner, scope);
      case "name": {
        const binding = scope.lookup(expr.name.text);
        if (binding !== undefined) return binding.value === FAILED ? undefined : binding.value;
        return { kind: "symbol", name: expr.name.text, span: expr.span, candidates: scope.names() };
      }
      case "list": {
        const items: Value[] = [];
        for (const item of expr.items) {
          const value = this.evaluate(item, scope);
          if (value === undefined) return undefined;
          items.push(value);
        }
        return this.boundedList(items, expr.span);
      }
      case "unary": {
        const operand = this.evaluate(expr.operand, scope);
        if (operand === undefined) return undefined;
        if (expr.op === "-") {
          const n = this.number(operand, expr.operand.span);
          return n === undefined ? undefined : -n;
        }
        const b = this.boolean(operand, expr.operand.span);
        return b === undefined ? undefined : !b;
      }
      case "binary":
        return this.binary(expr, scope);
      case "conditional": {
        const condition = this.evaluate(expr.condition, scope);
        const chosen = condition === undefined ? undefined : this.boolean(condition, expr.condition.span);
        if (chosen === undefined) return undefined;
        return this.evaluate(chosen ? expr.then : expr.otherwise, scope);
      }
      case "call":
        return this.call(expr, scope);
    }
  }

  /** Reports a symbol that ended up where only a value makes sense as an unknown name. */
  reportUnknownName(symbol: SymbolValue, extraCandidates: readonly string[] = []): undefined {
    const suggestion = closestMatch(symbol.name, [...symbol.candidates, ...extraCandidates]);
    this.sink.add(
      diagnostic("E0207", symbol.span, `unknown name \`${symbol.name}\``, {
        help: suggestion ? `did you mean \`${suggestion}\`?` : "declare it as a block parameter or with `let`",
        fixes: suggestion ? [{ title: `Change to \`${suggestion}\``, edits: [{ span: symbol.span, newText: suggestion }] }] : [],
      }),
    );
    return undefined;
  }

  number(value: Value, span: Span): number | undefined {
    if (typeof value === "number") return value;
    if (isSymbol(value)) return this.reportUnknownName(value);
    if (isSize(value)) {
      return this.fail(span, `\`${formatDim(value)}\` depends on the input size, but a fixed number is needed here`, "channel counts, kernels, strides and repeat counts must not depend on symbolic sizes; fix the size with `--shape` if you need it");
    }
    return this.fail(span, `expected a number, found ${describeValue(value)}`);
  }

  integer(value: Value, span: Span): number | undefined {
    const n = this.number(value, span);
    if (n === undefined) return undefined;
    if (!Number.isInteger(n)) return this.fail(span, `expected a whole number, found ${n}`, "use floor(…), ceil(…) or round(…)");
    return n;
  }

  boolean(value: Value, span: Span): boolean | undefined {
    if (typeof value === "boolean") return value;
    if (isSymbol(value)) return this.reportUnknownName(value);
    return this.fail(span, `expected true or false, found ${describeValue(value)}`);
  }

  list(value: Value, span: Span): readonly Value[] | undefined {
    if (Array.isArray(value)) return value;
    if (isSymbol(value as Value)) return this.reportUnknownName(value as SymbolValue);
    return this.fail(span, `expected a list, found ${describeValue(value as Value)}`);
  }

  private binary(expr: Extract<Expr, { kind: "binary" }>, scope: Scope): Value | undefined {
    const left = this.evaluate(expr.left, scope);
    if (left === undefined) return undefined;
    if (expr.op === "and" || expr.op === "or") {
      const l = this.boolean(left, expr.left.span);
      if (l === undefined) return undefined;
      if (expr.op === "and" ? !l : l) return l;
      const rightValue = this.evaluate(expr.right, scope);
      return rightValue === undefined ? undefined : this.boolean(rightValue, expr.right.span);
    }
    const right = this.evaluate(expr.right, scope);
    if (right === undefined) return undefined;
    if (expr.op === "==" || expr.op === "!=") {
      if (isSymbol(left)) return this.reportUnknownName(left);
      if (isSymbol(right)) return this.reportUnknownName(right);
      if (isSize(left) || isSize(right)) return this.sizeArithmetic(expr, left, right);
      const equal = JSON.stringify(left) === JSON.stringify(right);
      return expr.op === "==" ? equal : !equal;
    }
    if (isSize(left) || isSize(right)) return this.sizeArithmetic(expr, left, right);
    const l = this.number(left, expr.left.span);
    const r = this.number(right, expr.right.span);
    if (l === undefined || r === undefined) return undefined;
    switch (expr.op) {
      case "+":
        return l + r;
      case "-":
        return l - r;
      case "*":
        return l * r;
      case "/":
        if (r === 0) return this.fail(expr.right.span, "division by zero");
        return l / r;
      case "%":
        if (r === 0) return this.fail(expr.right.span, "division by zero");
        return ((l % r) + r) % r;
      case "<":
        return l < r;
      case ">":
        return l > r;
      case "<=":
        return l <= r;
      case ">=":
        return l >= r;
    }
  }

  /** + − × with whole numbers, exact division and % by a whole number: the operations sizes allow. */
  private sizeArithmetic(expr: Extract<Expr, { kind: "binary" }>, left: Value, right: Value): Value | undefined {
    const operand = (value: Value, span: Span): Dim | undefined => {
      if (isSize(value)) return value;
      const n = this.number(value, span);
      if (n === undefined) return undefined;
      if (!Number.isSafeInteger(n)) return this.fail(span, `symbolic sizes combine only with whole numbers below 2^53, found ${n}`);
      return n;
    };
    const l = operand(left, expr.left.span);
    const r = operand(right, expr.right.span);
    if (l === undefined || r === undefined) return undefined;
    switch (expr.op) {
      case "+":
        return add(l, r);
      case "-":
        return sub(l, r);
      case "*":
        return mul(l, r);
      case "/":
      case "%": {
        if (typeof r !== "number" || r <= 0) return this.fail(expr.right.span, `a symbolic size can only be divided by a positive whole number, found ${typeof r === "number" ? r : formatDim(r)}`);
        if (typeof l === "number") return expr.op === "/" ? l / r : ((l % r) + r) % r;
        if (expr.op === "%") return remainder(l, r);
        if (this.exactDivision?.(l, r, expr.span) !== true) {
          return this.fail(expr.span, `\`${formatDim(l)}\` is not a multiple of ${r} for any accepted size`, `write floor(${formatDim(l)} / ${r}) or ceil(${formatDim(l)} / ${r}) to round`);
        }
        return floorDiv(l, r);
      }
      default:
        return this.fail(expr.span, `\`${expr.op}\` cannot compare symbolic sizes at compile time`, "give the sizes with `--shape H=…,W=…`, or compare whole numbers");
    }
  }

  /** floor(a / b) and ceil(a / b) of a symbolic size round instead of requiring an exact division. */
  private roundedSizeDivision(expr: Extract<Expr, { kind: "call" }>, scope: Scope): Value | undefined | "not-applicable" {
    const name = expr.callee.text;
    const arg = expr.args[0]?.value;
    if ((name !== "floor" && name !== "ceil") || expr.args.length !== 1 || arg?.kind !== "binary" || arg.op !== "/") return "not-applicable";
    const left = this.evaluate(arg.left, scope);
    if (left === undefined || !isSize(left)) return "not-applicable";
    const right = this.evaluate(arg.right, scope);
    if (right === undefined) return undefined;
    const divisor = this.integer(right, arg.right.span);
    if (divisor === undefined) return undefined;
    if (divisor <= 0) return this.fail(arg.right.span, `a symbolic size can only be divided by a positive whole number, found ${divisor}`);
    return name === "floor" ? floorDiv(left, divisor) : ceilDiv(left, divisor);
  }

  private call(expr: Extract<Expr, { kind: "call" }>, scope: Scope): Value | undefined {
    const rounded = this.roundedSizeDivision(expr, scope);
    if (rounded !== "not-applicable") return rounded;
    const name = expr.callee.text;
    const builtin = BUILTINS[name];
    if (builtin === undefined) {
      const suggestion = closestMatch(name, BUILTIN_FUNCTIONS);
      this.sink.add(
        diagnostic("E0207", expr.callee.span, `unknown function \`${name}\``, {
          help: suggestion ? `did you mean \`${suggestion}\`?` : `the functions are ${BUILTIN_FUNCTIONS.join(", ")}`,
        }),
      );
      return undefined;
    }
    const named = expr.args.find((a) => a.name !== undefined);
    if (named !== undefined) return this.fail(named.span, `${name}(…) takes no named arguments`);
    if (expr.args.length < builtin.arity[0] || expr.args.length > builtin.arity[1]) {
      const [lo, hi] = builtin.arity;
      return this.fail(expr.span, `${name}(…) takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? "" : "s"}, found ${expr.args.length}`);
    }
    const values: Value[] = [];
    for (const arg of expr.args) {
      const value = this.evaluate(arg.value, scope);
      if (value === undefined) return undefined;
      values.push(value);
    }
    if (name === "len") {
      const list = this.list(values[0]!, expr.args[0]!.span);
      return list === undefined ? undefined : list.length;
    }
    const numbers: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const n = name === "range" ? this.integer(values[i]!, expr.args[i]!.span) : this.number(values[i]!, expr.args[i]!.span);
      if (n === undefined) return undefined;
      numbers.push(n);
    }
    switch (name) {
      case "min":
        return Math.min(...numbers);
      case "max":
        return Math.max(...numbers);
      case "floor":
        return Math.floor(numbers[0]!);
      case "ceil":
        return Math.ceil(numbers[0]!);
      case "round":
        return Math.round(numbers[0]!);
      case "abs":
        return Math.abs(numbers[0]!);
      default: {
        const [start, end] = numbers.length === 1 ? [0, numbers[0]!] : [numbers[0]!, numbers[1]!];
        if (end - start > LIMITS.listLength) {
          this.sink.add(diagnostic("E0401", expr.span, `range(…) would have ${formatLimit(end - start)} items, over the limit of ${formatLimit(LIMITS.listLength)}`, { help: "use a shorter range" }));
          return undefined;
        }
        const out: number[] = [];
        for (let i = start; i < end; i++) out.push(i);
        return out;
      }
    }
  }
}
