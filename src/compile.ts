// The pipeline every front end calls: parse, collect declarations, elaborate each model,
// check the training settings. It never throws on user input; problems are diagnostics.

import { DiagnosticSink, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import { collectDeclarations } from "./check/declarations.js";
import { Elaborator } from "./check/elaborate.js";
import type { CallTable, ModelGraph } from "./check/graph.js";
import { TrainChecker, type TrainConfig } from "./check/train.js";
import type { Value } from "./check/values.js";
import { parse } from "./syntax/parse.js";
import type { Program } from "./syntax/ast.js";

export interface CompileOptions {
  /** Values that replace model parameters' defaults, by parameter name. */
  params?: ReadonlyMap<string, Value>;
  /** Values for the symbolic sizes of model inputs (`--shape H=224,W=224`), by size name. */
  sizes?: ReadonlyMap<string, number>;
}

export interface Compilation {
  text: string;
  program: Program;
  diagnostics: Diagnostic[];
  models: ModelGraph[];
  trains: TrainConfig[];
  /** Facts per source call (first instantiation), for hovers and inlay hints. */
  calls: CallTable;
}

export function compile(text: string, options: CompileOptions = {}): Compilation {
  const { program, diagnostics: syntaxDiagnostics } = parse(text);
  const sink = new DiagnosticSink();
  for (const d of syntaxDiagnostics) sink.add(d);
  const { blocks, models: modelDecls } = collectDeclarations(program, sink);
  const calls: CallTable = new Map();
  const elaborator = new Elaborator(blocks, sink, calls);
  const models = modelDecls.map((decl) => elaborator.elaborate(decl, options.params, options.sizes));
  const trains = checkTrainDeclarations(program, models, sink);
  return { text, program, diagnostics: sortDiagnostics(sink.items), models, trains, calls };
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
