// The pipeline every front end calls: parse (the main file and every file it imports),
// collect declarations, elaborate each model of the main file, check the training
// settings. It never throws on user input; problems are diagnostics.

import { DiagnosticSink, sortDiagnostics, type Diagnostic, type Span } from "./diagnostics/diagnostic.js";
import { Elaborator } from "./check/elaborate.js";
import type { CallTable, ModelGraph } from "./check/graph.js";
import { memoryHost, ModuleLoader, type Module, type SourceFile, type SourceHost } from "./check/modules.js";
import { TrainChecker, type TrainConfig } from "./check/train.js";
import type { Value } from "./check/values.js";
import type { BlockDecl, ModelDecl, Program } from "./syntax/ast.js";
import { diagnostic } from "./diagnostics/codes.js";
import { decisiveReasons } from "./check/sizes.js";
import type { SizeSet } from "./shape/symbolic.js";

export interface CompileOptions {
  /** Values that replace model parameters' defaults, by parameter name. */
  params?: ReadonlyMap<string, Value>;
  /** Values for the symbolic sizes of model inputs (`--shape H=224,W=224`), by size name. */
  sizes?: ReadonlyMap<string, number>;
  /** The file the text comes from: relative imports are resolved from its folder (else from the working folder). */
  path?: string;
  /** Reads imported files; by default there are none but the built-in standard library (Node front doors pass `nodeHost`). */
  host?: SourceHost;
}

export interface Compilation {
  text: string;
  program: Program;
  diagnostics: Diagnostic[];
  models: ModelGraph[];
  trains: TrainConfig[];
  /** Facts per source call (first instantiation), for hovers and inlay hints. */
  calls: CallTable;
  /** Every file of the compilation, the main file first (base 0), then imported ones in the order loaded. */
  sources: SourceFile[];
  /** The main file's module (its imports, resolved), then every imported file's. */
  modules: Module[];
  /** The file a span lies in, and the span in that file's own offsets. */
  locate(span: Span): { file: SourceFile; span: Span };
}

export function compile(text: string, options: CompileOptions = {}): Compilation {
  const sink = new DiagnosticSink();
  const loader = new ModuleLoader(options.host ?? memoryHost(), sink);
  const main = loader.loadMain(text, options.path);
  const calls: CallTable = new Map();
  const elaborator = new Elaborator(main.blocks, sink, calls, loader.scopes);
  const models = main.models.map((decl) => {
    if (options.sizes !== undefined && options.sizes.size > 0) checkGivenSizes(decl, main.blocks, loader.scopes, options, sink);
    return elaborator.elaborate(decl, options.params, options.sizes);
  });
  const trains = checkTrainDeclarations(main.program, models, sink);
  const sources = loader.sources;
  return {
    text,
    program: main.program,
    diagnostics: sortDiagnostics(sink.items),
    models,
    trains,
    calls,
    sources: sources.files,
    modules: loader.modules,
    locate: (span) => sources.locate(span),
  };
}

/**
 * Sizes given with `--shape` for a model with symbolic inputs are first compared with the
 * sizes the model accepts, so that a wrong size is explained by the rule it breaks rather
 * than by the first layer it breaks.
 */
function checkGivenSizes(decl: ModelDecl, blocks: ReadonlyMap<string, BlockDecl>, scopes: ConstructorParameters<typeof Elaborator>[3], options: CompileOptions, sink: DiagnosticSink): void {
  const symbolic = new Elaborator(blocks, new DiagnosticSink(), new Map(), scopes).elaborate(decl, options.params);
  if (symbolic.sizes === undefined) return;
  const input = decl.body.statements.find((s) => s.kind === "input");
  if (input?.kind !== "input" || input.shape.kind !== "list") return;
  for (const item of input.shape.items) {
    if (item.kind !== "name") continue;
    const name = item.name.text;
    const set = symbolic.sizes.sets.get(name);
    const given = options.sizes!.get(name);
    if (set === undefined || given === undefined || set.has(given)) continue;
    const reasons = decisiveReasons(symbolic.sizes.reasons).filter((r) => r.name === name);
    sink.add(
      diagnostic("E0705", item.span, `${name} = ${given} is not a size model \`${decl.name.text}\` accepts: ${name} must be ${set.describe()}`, {
        related: reasons.map((r) => ({ span: r.span, message: `this needs ${name} to be ${r.needs}` })),
        help: `use an accepted size such as ${name}=${nearestMember(set, given)}`,
      }),
    );
  }
}

function nearestMember(set: SizeSet, near: number): number {
  for (let distance = 0; distance < near + set.period * 2 + set.min; distance++) {
    if (set.has(near - distance)) return near - distance;
    if (set.has(near + distance)) return near + distance;
  }
  return set.first() ?? near;
}

/** Checks every `train` declaration against the models it names. */
export function checkTrainDeclarations(program: Program, models: readonly ModelGraph[], sink: DiagnosticSink): TrainConfig[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const trainChecker = new TrainChecker(sink);
  const trains: TrainConfig[] = [];
  for (const decl of program.declarations) {
    if (decl.kind !== "train") continue;
    const config = trainChecker.check(decl, byName);
    if (config !== undefined) trains.push(config);
  }
  return trains;
}
