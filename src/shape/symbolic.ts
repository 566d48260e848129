// Symbolic sizes: dimension expressions over named sizes such as H and W.
//
// An expression is a polynomial whose atoms are size names and floor divisions of other
// expressions by positive whole numbers; ceil(x / c) is floor((x + c − 1) / c). Expressions
// are kept in a canonical form that merges nested floor divisions, so that a chain of
// stride-2 layers reads `ceil(H/32)` rather than thirty-two nested brackets.
//
// Questions about expressions (is it always equal to that one? for which sizes is it at least
// 1?) are answered by evaluation, not by rewriting. Every expression built from these
// operations is quasi-linear in each size: e(x + P) = e(x) + k for an integer k, where P is
// the product of the divisors involved. So a property that depends on one size holds for all
// sizes once it holds over one period past the point where it settles, which makes the
// answers exact (see `SizeSet.restrict`).

import { formatLimit, LIMITS } from "../limits.js";

/**
 * Thrown where an expression's period or floor nesting would pass `LIMITS.sizePeriod` or
 * `LIMITS.nesting`: every question about an expression costs time in its period, and
 * stack in its nesting. The evaluator and the elaborator turn it into E0404.
 */
export class SizeTooComplex extends Error {
  constructor(readonly period: number, readonly depth: number) {
    super(depth > LIMITS.nesting ? `the size expression nests more than ${LIMITS.nesting} divisions deep` : `the size expression repeats only every ${formatLimit(period)} sizes, over the limit of ${formatLimit(LIMITS.sizePeriod)}`);
  }
}

/** A named size or a floor division; atoms are integer-valued for whole-number sizes. */
export type Atom = { kind: "var"; name: string } | { kind: "floor"; inner: Sym; divisor: number };

interface Term {
  coef: number;
  /** Sorted by key; empty for the constant term. */
  atoms: readonly Atom[];
}

/** A symbolic dimension: a sum of terms, each a whole-number coefficient times atoms. */
export class Sym {
  /** By the joined keys of their atoms; the constant term has key "". */
  readonly terms: ReadonlyMap<string, Term>;
  /** A period P with e(x + P) − e(x) independent of x, for every size x the expression names. */
  readonly period: number;
  /** How deeply floor divisions nest in it. */
  readonly depth: number;

  constructor(terms: ReadonlyMap<string, Term>) {
    this.terms = terms;
    let period = 1;
    let depth = 0;
    for (const term of terms.values()) {
      for (const atom of term.atoms) {
        if (atom.kind !== "floor") continue;
        period = lcm(period, atom.inner.period * atom.divisor);
        depth = Math.max(depth, atom.inner.depth + 1);
      }
    }
    if (period > LIMITS.sizePeriod || depth > LIMITS.nesting) throw new SizeTooComplex(period, depth);
    this.period = period;
    this.depth = depth;
  }

  get constant(): number {
    return this.terms.get("")?.coef ?? 0;
  }

  toString(): string {
    return formatDim(this);
  }
}

/** One dimension: a whole number, or an expression over named sizes. */
export type Dim = number | Sym;

export const isSymbolic = (dim: Dim): dim is Sym => typeof dim !== "number";

function atomKey(atom: Atom): string {
  return atom.kind === "var" ? atom.name : `floor(${keyOf(atom.inner)}/${atom.divisor})`;
}

function keyOf(sym: Sym): string {
  return [...sym.terms.entries()].map(([k, t]) => `${t.coef}*${k}`).sort().join("+");
}

function termKey(atoms: readonly Atom[]): string {
  return atoms.map(atomKey).join("*");
}

function fromTerms(terms: Iterable<Term>): Dim {
  const map = new Map<string, Term>();
  for (const term of terms) {
    if (term.coef === 0) continue;
    const atoms = [...term.atoms].sort((a, b) => (atomKey(a) < atomKey(b) ? -1 : atomKey(a) > atomKey(b) ? 1 : 0));
    const key = termKey(atoms);
    const existing = map.get(key);
    const coef = (existing?.coef ?? 0) + term.coef;
    if (coef === 0) map.delete(key);
    else map.set(key, { coef, atoms });
  }
  if (map.size === 0) return 0;
  if (map.size === 1 && map.has("")) return map.get("")!.coef;
  return new Sym(map);
}

function termsOf(dim: Dim): Term[] {
  return typeof dim === "number" ? [{ coef: dim, atoms: [] }] : [...dim.terms.values()];
}

/** A size name as an expression. */
export function sizeVar(name: string): Sym {
  return new Sym(new Map([[name, { coef: 1, atoms: [{ kind: "var", name }] }]]));
}

export function add(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  return fromTerms([...termsOf(a), ...termsOf(b)]);
}

export function sub(a: Dim, b: Dim): Dim {
  return add(a, mul(b, -1));
}

export function mul(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a * b;
  const out: Term[] = [];
  for (const x of termsOf(a)) for (const y of termsOf(b)) out.push({ coef: x.coef * y.coef, atoms: [...x.atoms, ...y.atoms] });
  return fromTerms(out);
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;

/** floor(a / divisor) for a positive whole divisor. */
export function floorDiv(a: Dim, divisor: number): Dim {
  if (typeof a === "number") return Math.floor(a / divisor);
  if (divisor === 1) return a;
  // Whole multiples of the divisor leave the floor: floor((c·q·X + R) / c) = q·X + floor(R / c).
  const outside: Term[] = [];
  const inside: Term[] = [];
  for (const term of a.terms.values()) {
    const remainder = mod(term.coef, divisor);
    const quotient = (term.coef - remainder) / divisor;
    if (quotient !== 0) outside.push({ coef: quotient, atoms: term.atoms });
    // The constant stays in [0, divisor): floor((H − 16) / 16) is floor(H / 16) − 1.
    if (remainder !== 0) inside.push({ coef: remainder, atoms: term.atoms });
  }
  const rest = fromTerms(inside);
  return add(fromTerms(outside), floorAtom(rest, divisor));
}

/** floor(rest / divisor), merging a nested floor: floor((floor(y / b) + r) / d) = floor((y + b·r) / (b·d)). */
function floorAtom(rest: Dim, divisor: number): Dim {
  if (typeof rest === "number") return Math.floor(rest / divisor);
  const nonConstant = [...rest.terms.values()].filter((t) => t.atoms.length > 0);
  if (nonConstant.length === 1 && nonConstant[0]!.coef === 1 && nonConstant[0]!.atoms.length === 1 && nonConstant[0]!.atoms[0]!.kind === "floor") {
    const inner = nonConstant[0]!.atoms[0] as Extract<Atom, { kind: "floor" }>;
    return floorDiv(add(inner.inner, inner.divisor * rest.constant), inner.divisor * divisor);
  }
  return new Sym(new Map([[atomKeyFor(rest, divisor), { coef: 1, atoms: [{ kind: "floor", inner: rest, divisor }] }]]));
}

function atomKeyFor(inner: Sym, divisor: number): string {
  return atomKey({ kind: "floor", inner, divisor });
}

/** a mod divisor (in [0, divisor)) for a positive whole divisor. */
export function remainder(a: Dim, divisor: number): Dim {
  return sub(a, mul(floorDiv(a, divisor), divisor));
}

/** ceil(a / divisor) for a positive whole divisor. */
export function ceilDiv(a: Dim, divisor: number): Dim {
  return floorDiv(add(a, divisor - 1), divisor);
}

/** The value of an expression for given sizes; every size it names must be given. */
export function evaluateDim(dim: Dim, sizes: ReadonlyMap<string, number>): number {
  if (typeof dim === "number") return dim;
  let total = 0;
  for (const term of dim.terms.values()) {
    let value = term.coef;
    for (const atom of term.atoms) value *= atom.kind === "var" ? sizes.get(atom.name)! : Math.floor(evaluateDim(atom.inner, sizes) / atom.divisor);
    total += value;
  }
  return total;
}

/** The size names an expression depends on. */
export function sizeNames(dim: Dim, into: Set<string> = new Set()): Set<string> {
  if (typeof dim === "number") return into;
  for (const term of dim.terms.values()) {
    for (const atom of term.atoms) {
      if (atom.kind === "var") into.add(atom.name);
      else sizeNames(atom.inner, into);
    }
  }
  return into;
}

/** Whether the expression never decreases when a size grows (no negative coefficients anywhere). */
export function nondecreasing(dim: Dim): boolean {
  if (typeof dim === "number") return true;
  for (const term of dim.terms.values()) {
    if (term.atoms.length === 0) continue;
    if (term.coef < 0) return false;
    for (const atom of term.atoms) if (atom.kind === "floor" && !nondecreasing(atom.inner)) return false;
  }
  return true;
}

/** Structural identity: equal keys mean equal values for every size. */
export function sameDim(a: Dim, b: Dim): boolean {
  if (typeof a === "number" || typeof b === "number") return a === b;
  return keyOf(a) === keyOf(b);
}

/** A period P with e(x + P) − e(x) independent of x, for every size x the expression names. */
export function periodOf(dim: Dim): number {
  return typeof dim === "number" ? 1 : dim.period;
}

export function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

// ---------------------------------------------------------------------------------------
// Sets of accepted sizes

/** The largest size the exact analysis examines; periods and minimums stay far below it. */
const SCAN_LIMIT = 1 << 16;

/**
 * The sizes one name may take: whole numbers x with min ≤ x (≤ max) and x mod period in
 * residues. Empty when `residues` is empty or max < min.
 */
export class SizeSet {
  constructor(
    readonly min: number,
    readonly period: number,
    readonly residues: readonly number[],
    readonly max?: number,
  ) {}

  static readonly ALL = new SizeSet(1, 1, [0]);

  get empty(): boolean {
    return this.first() === undefined;
  }

  has(x: number): boolean {
    return Number.isInteger(x) && x >= this.min && (this.max === undefined || x <= this.max) && this.residues.includes(mod(x, this.period));
  }

  /** The smallest member, if any. */
  first(): number | undefined {
    for (let x = this.min; x < this.min + this.period; x++) {
      if (this.max !== undefined && x > this.max) return undefined;
      if (this.has(x)) return x;
    }
    return undefined;
  }

  /** The first `count` members, in order. */
  sample(count: number): number[] {
    const out: number[] = [];
    for (let x = this.min; out.length < count && (this.max === undefined || x <= this.max) && x < this.min + count * this.period + this.period; x++) {
      if (this.has(x)) out.push(x);
    }
    return out;
  }

  /**
   * The members for which `holds` is true, where `holds` has the quasi-linear property with
   * period `period`: (after some point) holds(x) = holds(x + period) or holds settles. The
   * scan runs until the pattern has repeated for two whole periods.
   */
  restrict(holds: (x: number) => boolean, period: number): SizeSet {
    const combined = lcm(this.period, period);
    const limit = this.max ?? Math.min(SCAN_LIMIT, this.min + 8 * combined + 1024);
    // Walk up, remembering for each residue class the last value where membership changed.
    const accepted: boolean[] = [];
    for (let x = this.min; x <= limit; x++) accepted.push(this.has(x) && holds(x));
    const at = (x: number): boolean => accepted[x - this.min] ?? false;
    // The pattern is periodic from `settled`: the smallest point after which it repeats.
    let settled = limit + 1;
    for (let x = limit - combined; x >= this.min; x--) {
      if (at(x) !== at(x + combined)) break;
      settled = x;
    }
    if (this.max !== undefined || settled > limit - 2 * combined) {
      // A bounded set, or one that never settled within the scan: list what was found.
      const members = accepted.flatMap((ok, i) => (ok ? [this.min + i] : []));
      return SizeSet.fromMembers(members);
    }
    const residues = new Set<number>();
    for (let x = settled; x < settled + combined; x++) if (at(x)) residues.add(mod(x, combined));
    // Sizes below the settled point join only where they follow the same pattern.
    let min = settled;
    while (min - 1 >= this.min && at(min - 1) === residues.has(mod(min - 1, combined))) min--;
    if (residues.size === 0) {
      const members = accepted.slice(0, settled - this.min).flatMap((ok, i) => (ok ? [this.min + i] : []));
      return SizeSet.fromMembers(members);
    }
    return new SizeSet(min, combined, [...residues].sort((a, b) => a - b)).simplified();
  }

  /** The members that are at least `least` (empty when `least` is infinite). */
  from(least: number): SizeSet {
    if (!Number.isFinite(least)) return new SizeSet(1, 1, [], 0);
    if (least <= this.min) return this;
    return new SizeSet(least, this.period, this.residues, this.max).simplified();
  }

  /** The smallest finite set description containing exactly `members` (an arithmetic run, or its first member). */
  static fromMembers(members: readonly number[]): SizeSet {
    if (members.length === 0) return new SizeSet(1, 1, [], 0);
    const first = members[0]!;
    if (members.length === 1) return new SizeSet(first, 1, [0], first);
    const step = members[1]! - first;
    const regular = members.every((m, i) => m === first + i * step);
    if (!regular) return new SizeSet(first, 1, [0], first);
    return new SizeSet(first, step, [mod(first, step)], members[members.length - 1]).simplified();
  }

  /** The same set with the shortest period and the smallest member as minimum. */
  simplified(): SizeSet {
    let period = this.period;
    let residues = this.residues;
    for (const p of divisors(this.period)) {
      const reduced = [...new Set(residues.map((r) => mod(r, p)))];
      const expanded = new Set<number>();
      for (const r of reduced) for (let x = r; x < this.period; x += p) expanded.add(x);
      if (expanded.size === residues.length) {
        period = p;
        residues = reduced.sort((a, b) => a - b);
        break;
      }
    }
    const shaped = new SizeSet(this.min, period, residues, this.max);
    const first = shaped.first();
    return first === undefined ? shaped : new SizeSet(first, period, residues, this.max);
  }

  /** Plain words: "a multiple of 32 and at least 32", "even", "at least 7". */
  describe(): string {
    const first = this.first();
    if (first === undefined) return "impossible";
    if (this.max !== undefined) {
      if (this.max === first) return `exactly ${first}`;
      const members = this.sample(4);
      if (this.period === 1) return `between ${first} and ${this.max}`;
      return `one of ${members.join(", ")}${members.length < 4 || members[3]! >= this.max ? "" : `, …, ${this.max}`}`;
    }
    const parts: string[] = [];
    const { period, residues } = this;
    if (period === 2 && residues.length === 1) parts.push(residues[0] === 0 ? "even" : "odd");
    else if (period > 1 && residues.length === 1) parts.push(residues[0] === 0 ? `a multiple of ${period}` : `${residues[0]} more than a multiple of ${period}`);
    else if (period > 1) parts.push(`such that dividing it by ${period} leaves ${joinOr(residues.map(String))}`);
    const parity = period === 2 && residues.length === 1 && first <= 2;
    if (first > 1 && !parity) parts.push(`at least ${first}`);
    if (parts.length === 0) parts.push("at least 1");
    return parts.join(" and ");
  }
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

// ---------------------------------------------------------------------------------------
// Printing

export interface FormatOptions {
  /** Where a floor division is exact for every accepted size, it prints as a plain division. */
  sizes?: ReadonlyMap<string, SizeSet>;
}

/** `ceil(H/32)`, `2*floor(H/2) - 4`, `(H - 4)/2`: the language's own syntax. */
export function formatDim(dim: Dim, options: FormatOptions = {}): string {
  if (typeof dim === "number") return String(dim);
  const linear = options.sizes === undefined ? undefined : linearOn(dim, options.sizes);
  if (linear !== undefined) return linear;
  const terms = [...dim.terms.values()].sort((a, b) => (a.atoms.length === 0 ? 1 : b.atoms.length === 0 ? -1 : 0));
  let out = "";
  for (const term of terms) {
    const negative = term.coef < 0;
    const magnitude = Math.abs(term.coef);
    let body: string;
    if (term.atoms.length === 0) body = String(magnitude);
    else {
      const factors = term.atoms.map((atom) => formatAtom(atom, options, term.atoms.length > 1 || magnitude !== 1));
      body = magnitude === 1 ? factors.join("*") : `${magnitude}*${factors.join("*")}`;
    }
    out += out === "" ? (negative ? `-${body}` : body) : negative ? ` - ${body}` : ` + ${body}`;
  }
  return out;
}

/**
 * Over the accepted sizes many expressions are plain linear functions: U-Net's output
 * 16*floor(H/16) is H when H is a multiple of 16. Returns that form ("H", "H/2", "(H - 4)/2")
 * when it holds for every accepted size.
 */
function linearOn(dim: Sym, sizes: ReadonlyMap<string, SizeSet>): string | undefined {
  const names = [...sizeNames(dim)];
  if (names.length !== 1) return undefined;
  const name = names[0]!;
  const set = sizes.get(name);
  if (set === undefined || set.empty) return undefined;
  const period = lcm(periodOf(dim), set.period);
  const members = set.sample(2 * (period / set.period) * Math.max(1, set.residues.length) + 2);
  if (members.length < 2) return undefined;
  const at = (x: number): number => evaluateDim(dim, new Map([[name, x]]));
  const [x1, x2] = [members[0]!, members[members.length - 1]!];
  // f(x) = (p·x + q) / d in lowest terms, from two members; then every member must agree.
  const dx = x2 - x1;
  const dy = at(x2) - at(x1);
  const g = gcd(dy, dx) || 1;
  const p = dy / g;
  const d = dx / g;
  const q = at(x1) * d - p * x1;
  if (p === 0) return undefined;
  if (!members.every((x) => at(x) * d === p * x + q)) return undefined;
  const numerator = `${p === 1 ? "" : p === -1 ? "-" : `${p}*`}${name}${q === 0 ? "" : q > 0 ? ` + ${q}` : ` - ${-q}`}`;
  if (d === 1) return numerator;
  return q === 0 && Math.abs(p) === 1 ? `${numerator}/${d}` : `(${numerator})/${d}`;
}

function formatAtom(atom: Atom, options: FormatOptions, inProduct: boolean): string {
  if (atom.kind === "var") return atom.name;
  const { inner, divisor } = atom;
  const simpleInner = (x: Dim): string => {
    const text = formatDim(x, options);
    return typeof x === "number" || (x.terms.size === 1 && [...x.terms.values()][0]!.coef === 1) ? text : `(${text})`;
  };
  if (exactFor(inner, divisor, options.sizes)) {
    const text = `${simpleInner(inner)}/${divisor}`;
    return inProduct ? `(${text})` : text;
  }
  // floor((x + c − 1) / c) reads better as ceil(x / c); pick the form with the smaller offset.
  const constant = inner.constant;
  const asCeil = constant - (divisor - 1);
  if (Math.abs(asCeil) < Math.abs(constant)) return `ceil(${simpleInner(add(inner, -(divisor - 1)))}/${divisor})`;
  return `floor(${simpleInner(inner)}/${divisor})`;
}

/** Whether `inner` is a multiple of `divisor` for every accepted size (single-size expressions only). */
function exactFor(inner: Sym, divisor: number, sizes: ReadonlyMap<string, SizeSet> | undefined): boolean {
  if (sizes === undefined) return false;
  const names = [...sizeNames(inner)];
  if (names.length !== 1) return false;
  const set = sizes.get(names[0]!);
  if (set === undefined || set.empty) return false;
  const period = lcm(periodOf(inner) * divisor, set.period);
  const start = set.first()!;
  for (let x = start; x < start + 2 * period; x++) {
    if (!set.has(x)) continue;
    if (mod(evaluateDim(inner, new Map([[names[0]!, x]])), divisor) !== 0) return false;
  }
  return true;
}
