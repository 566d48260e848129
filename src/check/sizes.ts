// What the checker knows about a model's named sizes while it elaborates the model: for
// each name (H, W, …), the set of sizes that every layer so far accepts. A layer that works
// only for some sizes narrows the set and leaves a reason; a layer that works for none is
// an error at that layer.

import type { Span } from "../diagnostics/diagnostic.js";
import { formatLimit, LIMITS } from "../limits.js";
import { evaluateDim, formatDim, lcm, nondecreasing, periodOf, sameDim, SizeSet, sizeNames, sub, type Dim } from "../shape/symbolic.js";

export type Relation = ">=" | "==";

/**
 * always: holds for every accepted size. conditional: holds once the sizes are narrowed (and
 * they now are). never: holds for no accepted size. unprovable: depends on several names at
 * once, which the checker does not narrow.
 */
export type Verdict = "always" | "conditional" | "never" | "unprovable";

/** Why a name's accepted sizes were narrowed: the layer and what it needs. */
export interface SizeReason {
  name: string;
  /** What this layer needs, in words ("a multiple of 16", "at least 16"): see decisiveReasons. */
  needs: string;
  /** The accepted sizes before and after this layer. */
  before: SizeSet;
  after: SizeSet;
  span: Span;
}

export interface ComparisonResult {
  verdict: Verdict;
  /** For never: what the layer needs and what earlier layers allow, in words. */
  explanation?: string;
}

export class SizeContext {
  readonly sets = new Map<string, SizeSet>();
  readonly reasons: SizeReason[] = [];

  declare(name: string): void {
    if (!this.sets.has(name)) this.sets.set(name, SizeSet.ALL);
  }

  get symbolic(): boolean {
    return this.sets.size > 0;
  }

  /** Whether `a relation b` holds; narrows the accepted sizes where that makes it hold. */
  compare(a: Dim, relation: Relation, b: Dim, span: Span, commit = true): ComparisonResult {
    if (typeof a === "number" && typeof b === "number") return { verdict: (relation === ">=" ? a >= b : a === b) ? "always" : "never" };
    if (relation === "==" && sameDim(a, b)) return { verdict: "always" };
    const difference = sub(a, b);
    if (typeof difference === "number") return { verdict: (relation === ">=" ? difference >= 0 : difference === 0) ? "always" : "never" };
    const names = [...sizeNames(difference)];
    const holds = (value: number): boolean => (relation === ">=" ? value >= 0 : value === 0);
    if (names.length > 1) return this.compareSeveral(difference, names, holds);
    const name = names[0]!;
    this.declare(name);
    const before = this.sets.get(name)!;
    const first = before.first();
    const env = new Map([[name, 0]]);
    const valueAt = (x: number): number => {
      env.set(name, x);
      return evaluateDim(difference, env);
    };
    const test = (x: number): boolean => holds(valueAt(x));
    // The common cases, decided without a scan: a growing expression that holds at the smallest
    // size, and an equality with zero slope that holds on one whole period of the accepted sizes.
    const growing = relation === ">=" && nondecreasing(difference);
    if (growing && first !== undefined && test(first)) return { verdict: "always" };
    const period = periodOf(difference);
    const window = lcm(period, before.period);
    // Every answer below scans a window this long; past the limit, say that it cannot be decided.
    if (window > LIMITS.sizePeriod) return { verdict: "unprovable", explanation: `whether ${subjectOf(a, relation, b)} holds repeats only every ${formatLimit(window)} sizes of ${name}, too many to check` };
    if (relation === "==" && first !== undefined && before.max === undefined && valueAt(first + period) === valueAt(first)) {
      let all = true;
      let any = false;
      for (let x = first; x < first + window; x++) {
        if (!before.has(x)) continue;
        const ok = test(x);
        all &&= ok;
        any ||= ok;
      }
      if (all) return { verdict: "always" };
      if (!commit) return { verdict: any ? "conditional" : "never" };
    } else if (relation === "==" && !commit && first !== undefined && before.max === undefined) {
      // A sloped difference is zero for finitely many sizes, so never for all of them; a probe
      // only looks for one it is zero at (it could miss one far out, which only a caller that
      // narrows would need).
      for (let x = first; x < first + 4 * lcm(period, before.period); x++) if (before.has(x) && test(x)) return { verdict: "conditional" };
      return { verdict: "never" };
    }
    // A growing expression holds from some size on: find that size by doubling and halving,
    // however large it is, rather than by a scan of bounded length.
    const after = growing ? before.from(threshold(test)) : before.restrict(test, period);
    const subject = subjectOf(a, relation, b);
    if (after.empty) {
      const needs = growing ? SizeSet.ALL.from(threshold(test)) : SizeSet.ALL.restrict(test, period);
      const alone = needs.empty ? `${subject} holds for no size of ${name}` : `${subject} needs ${name} to be ${needs.describe()}`;
      const earlier = before === SizeSet.ALL || sameSet(before, SizeSet.ALL) ? "" : `, but the layers before need ${name} to be ${before.describe()}`;
      return { verdict: "never", explanation: `${alone}${earlier}` };
    }
    if (sameSet(after, before)) return { verdict: "always" };
    if (!commit) return { verdict: "conditional" };
    this.sets.set(name, after);
    this.reasons.push({ name, needs: after.describe(), before, after, span });
    return { verdict: "conditional" };
  }

  /** Several names at once: decided on a grid of accepted sizes, never narrowed. */
  private compareSeveral(difference: Dim, names: string[], holds: (value: number) => boolean): ComparisonResult {
    const samples = names.map((n) => (this.sets.get(n) ?? SizeSet.ALL).sample(2 * Math.min(periodOf(difference), 16) + 4));
    let all = true;
    let any = false;
    const grid = (i: number, sizes: Map<string, number>): void => {
      if (i === names.length) {
        const ok = holds(evaluateDim(difference, sizes));
        all &&= ok;
        any ||= ok;
        return;
      }
      for (const x of samples[i]!) grid(i + 1, new Map([...sizes, [names[i]!, x]]));
    };
    grid(0, new Map());
    if (all && nondecreasing(difference)) return { verdict: "always" };
    if (!any) return { verdict: "never", explanation: `${formatDim(difference)} ${"fails for every size of " + names.join(" and ")}` };
    return { verdict: "unprovable", explanation: `it depends on ${names.join(" and ")} together` };
  }

  /**
   * Cheap screens for a search that compares `floor((from − 1) / s) + 1` with `to` for many
   * strides s (`shortcut auto`): each comparison can scan a whole period of sizes, up to
   * LIMITS.sizePeriod times 8, so 64 strides cost millions of evaluations (fuzz #15624). Each
   * screen is exact about what it rules out, so the search finds the stride it found before:
   * `always(s, a)` is false only where `compare(a, "==", to, …, false)` cannot say "always" (the
   * two differ at the smallest accepted sizes), `some(s, a)` only where it must say "never" (they
   * differ at every accepted size any of its scans reaches, which are evaluated once for all
   * strides). `a` is the comparison's left side for stride s.
   */
  strideScreen(from: Dim, to: Dim): { always: (s: number) => boolean; some: (s: number, a: Dim) => boolean } {
    const keep = { always: () => true, some: () => true };
    const names = new Set([...sizeNames(from), ...sizeNames(to)]);
    if (names.size !== 1) return keep;
    // One name, with sizes: otherwise every comparison is decided without a scan, or on a grid.
    const name = [...names][0]!;
    const set = this.sets.get(name) ?? SizeSet.ALL;
    const first = set.first();
    if (first === undefined) return keep;
    const env = new Map([[name, first]]);
    const at = (dim: Dim, x: number): number => {
      env.set(name, x);
      return evaluateDim(dim, env);
    };
    const fits = (f: number, t: number, s: number): boolean => Math.floor((f - 1) / s) + 1 === t;
    // A comparison's scans reach 4 windows of at most LIMITS.sizePeriod past the first size, or
    // a bounded set's largest size. A comparison that narrowed the sizes since voids the screens.
    const end = first + 4 * LIMITS.sizePeriod;
    const unchanged = (): boolean => (this.sets.get(name) ?? SizeSet.ALL) === set;
    let members: { f: number; t: number }[] | undefined;
    return {
      always: (s) => !unchanged() || fits(at(from, first), at(to, first), s),
      some: (s, a) => {
        if (!unchanged() || (set.max !== undefined && set.max > end)) return true;
        const difference = sub(a, to);
        if (typeof difference === "number" || lcm(periodOf(difference), set.period) > LIMITS.sizePeriod) return true;
        if (members === undefined) {
          members = [];
          for (let x = first; x <= (set.max ?? end); x++) if (set.has(x)) members.push({ f: at(from, x), t: at(to, x) });
        }
        return members.some(({ f, t }) => fits(f, t, s));
      },
    };
  }

  /** A view for printing: the accepted sizes by name. */
  snapshot(): ReadonlyMap<string, SizeSet> {
    return new Map(this.sets);
  }
}

/** The smallest size ≥ 1 for which a monotone test holds; Infinity when it holds for none below 2^40. */
function subjectOf(a: Dim, relation: Relation, b: Dim): string {
  return relation === ">=" ? `${formatDim(a)} ≥ ${formatDim(b)}` : `${formatDim(a)} = ${formatDim(b)}`;
}

function threshold(test: (x: number) => boolean): number {
  let high = 1;
  while (!test(high)) {
    if (high >= 2 ** 40) return Number.POSITIVE_INFINITY;
    high *= 2;
  }
  let low = Math.floor(high / 2);
  // Invariant: test(high) holds and test(low) does not (or low is 0).
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (test(middle)) high = middle;
    else low = middle;
  }
  return high;
}

function sameSet(a: SizeSet, b: SizeSet): boolean {
  if (a.max !== b.max) return false;
  const period = lcm(a.period, b.period);
  const start = Math.min(a.min, b.min);
  for (let x = start; x < Math.max(a.min, b.min) + 2 * period; x++) if (a.has(x) !== b.has(x)) return false;
  return true;
}

/**
 * The layers that decide each name's sizes: the last one that raised its minimum and the
 * last one that changed which remainders it may leave. Each says only the part it decided
 * ("at least 16", "a multiple of 16"), since earlier layers are implied by later ones.
 */
export function decisiveReasons(reasons: readonly SizeReason[]): SizeReason[] {
  const out: SizeReason[] = [];
  for (const name of new Set(reasons.map((r) => r.name))) {
    const own = reasons.filter((r) => r.name === name);
    const lastMinimum = [...own].reverse().find((r) => r.after.first() !== r.before.first() && !samePattern(r.before, r.after.first()!));
    const lastPattern = [...own].reverse().find((r) => !samePeriodic(r.before, r.after));
    for (const reason of [lastMinimum, lastPattern]) {
      if (reason === undefined || out.includes(reason)) continue;
      const parts: string[] = [];
      if (reason === lastPattern) parts.push(new SizeSet(1, reason.after.period, reason.after.residues, reason.after.max).describe().replace(/ and at least \d+$/, ""));
      if (reason === lastMinimum) parts.push(`at least ${reason.after.first()}`);
      out.push({ ...reason, needs: parts.join(" and ") });
    }
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

/** Whether `x` is the smallest member of the periodic pattern of `set` at or above set.min (so the minimum did not move). */
function samePattern(set: SizeSet, x: number): boolean {
  return set.first() === x;
}

/** Whether two sets leave the same remainders (ignoring their minimums). */
function samePeriodic(a: SizeSet, b: SizeSet): boolean {
  if (a.max !== b.max) return false;
  const period = lcm(a.period, b.period);
  const start = Math.max(a.min, b.min) + period;
  for (let x = start; x < start + period; x++) if (a.has(x) !== b.has(x)) return false;
  return true;
}

/** Plain words for every narrowed name: "H must be a multiple of 32 and at least 32". */
export function describeSizes(sets: ReadonlyMap<string, SizeSet>): string[] {
  return [...sets.entries()].map(([name, set]) => (sameSet(set, SizeSet.ALL) ? `${name} can be any size` : `${name} must be ${set.describe()}`));
}
