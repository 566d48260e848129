// Every limit that keeps compiling bounded in time and stack, in one place. Each is checked
// before the work it bounds (nesting before the parser recurses, a nest of repeats before
// it is unrolled), so a refusal costs about as much as a trivial check. grammar/README.md
// ("Limits") documents these numbers; change both together.

export const LIMITS = {
  /** Characters in one source file (E0104). */
  fileSize: 4_000_000,
  /**
   * Nesting depth of one declaration (E0103): each open bracket, parenthesis or brace counts
   * one, and so does each operator (`+`, `-`, `not`, `if … else`, …) of the expression it is
   * in, because `a + b + c` and `- - x` nest as deeply as brackets do.
   */
  nesting: 64,
  /** Bodies entered at once while unrolling: block calls inside blocks inside loops (E0403). */
  elaborationDepth: 256,
  /** Iterations of one repeat or loop, and items of one list (E0401). */
  repeat: 10_000,
  /** Items of a list value, such as `range(n)` (E0401). */
  listLength: 100_000,
  /**
   * Layers of a model after unrolling (E0401); a repeat whose runs times the layers one run of
   * its body adds at least (src/check/layer-estimate.ts) exceeds this is refused before it runs once.
   */
  layers: 200_000,
  /**
   * Statements executed while unrolling one model (E0401); a repeat whose count times the
   * counts of the repeats and loops around it exceeds this is refused before it runs once.
   */
  steps: 200_000,
  /**
   * The period of a symbolic size expression or of a set of accepted sizes (E0404, E0702):
   * the sizes after which its pattern repeats, such as 32 for `ceil(H/32)`. Questions about
   * an expression take time in its period.
   */
  sizePeriod: 4096,
  /** Parameters of a model (E0401). */
  params: 100_000_000_000,
} as const;

/** A limit as the messages print it: `200,000`. */
export function formatLimit(value: number): string {
  return value.toLocaleString("en-US");
}
