// The pipeline every front end calls: parse (the main file and every file it imports),
// collect declarations, elaborate each model of the main file, check the training
// settings. It never throws on user input; problems are diagnostics.

import { DiagnosticSink, sortDiagnostics, type Diagnostic, type Span } from "./diagnostics/diagnostic.js";
import { Elaborator } from "./check/elaborate.js";
import type { CallTable, ModelGraph } from "./check/graph.js";
import { ModuleLoader, nodeHost, type Module, type SourceFile, type SourceHost } from "./check/modules.js";
import { TrainChecker, type TrainConfig } from "./check/train.js";
import type { Value } from "./check/values.js";
import type { Program } from "./syntax/ast.js";

export interface CompileOptions {
  /** Values that replace model parameters' defaults, by parameter name. */
  params?: ReadonlyMap<string, Value>;
  /** The file the text comes from: relative imports are resolved from its folder (else from the working folder). */
  path?: string;
  /** Reads imported files; node:fs by default. */
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
  const loader = new ModuleLoader(options.host ?? nodeHost, sink);
  const main = loader.loadMain(text, options.path);
  const calls: CallTable = new Map();
  const elaborator = new Elaborator(main.blocks, sink, calls, loader.scopes);
  const models = main.models.map((decl) => elaborator.elaborate(decl, options.params));
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
