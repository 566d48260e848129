// Checking a document again after a keystroke without redoing the whole file.
//
// `compile()` parses and elaborates everything; on a 1,000-line file that is tens of
// milliseconds, most of it parsing. An edit usually touches one declaration, so this runs
// the same pipeline (the compiler's own collectDeclarations, Elaborator and TrainChecker)
// over pieces kept from the previous version:
//
// - The text is cut at the top level into regions, each ending with the `}` that closes a
//   declaration. A region whose text is unchanged keeps its syntax tree from last time,
//   moved to its new offset; only changed regions are parsed, each on its own. At a
//   region boundary the parser is between declarations, as at the start of a file, so
//   for text without syntax errors the pieces are exactly what parsing the whole file
//   gives. A region with a syntax error is parsed with the grammar's error recovery, which
//   may look past the region or stop the whole file's parse (a stray token at the top
//   level): the parser says when it did (`parseRegion`), and then this falls back to
//   `compile()`, so broken text always gets exactly the diagnostics `cnnc check` prints.
//   So does a file over the size limit or nested too deeply, which is refused as a whole.
//   Imports and top-level constants go
//   through the compiler's module loader with the assembled tree; imported files' trees
//   are reused while their text is unchanged, and a change to the imports, the constants
//   or an imported file drops every kept result.
// - Each model is elaborated on its own with its own diagnostic sink, and the result is
//   kept while the model and every block it reaches are the same trees. Merging the
//   models' diagnostics in declaration order through one sink (which drops repeats) and
//   keeping the first instantiation of each call gives what one shared elaboration gives:
//   the elaborator keeps no state from one model to the next.
//
// Syntax trees and results carry absolute offsets, so moving a kept region moves every
// span object it owns; each piece records its span objects once, when it is made.

import { callsIn } from "../check/declarations.js";
import { Elaborator } from "../check/elaborate.js";
import type { CallFacts, CallTable, ModelGraph } from "../check/graph.js";
import { checkTrainDeclarations, compile, type Compilation, type CompileOptions } from "../compile.js";
import { memoryHost, ModuleLoader } from "../check/modules.js";
import { FILE_SPACING } from "../diagnostics/source-map.js";
import { DiagnosticSink, sortDiagnostics, type Diagnostic, type Span } from "../diagnostics/diagnostic.js";
import type { BlockDecl, Call, Comment, Declaration, ModelDecl, Program } from "../syntax/ast.js";
import * as T from "../syntax/lexer.js";
import { forEachSpan, parseRegion, type RegionParseResult } from "../syntax/parse.js";
import { LIMITS } from "../limits.js";

interface Region {
  start: number;
  text: string;
  declarations: Declaration[];
  comments: Comment[];
  syntaxDiagnostics: Diagnostic[];
  imports: Program["imports"];
  constants: Program["constants"];
  /** Whether the region has an import or a top-level constant. */
  topLevel: boolean;
  /** Whether the region's parse could differ inside the whole file (see `parseRegion`). */
  dependsOnSurroundings: RegionParseResult["dependsOnSurroundings"];
  /** Every span object in the region's tree and syntax diagnostics, each once. */
  spans: Span[];
}

interface ElaboratedModel {
  /** The trees the result was made from: the model, then each block it reaches. */
  sources: (ModelDecl | BlockDecl)[];
  /** The names of all blocks, which did-you-mean suggestions draw on. */
  blockNames: string;
  graph: ModelGraph;
  diagnostics: Diagnostic[];
  calls: [Call, CallFacts][];
  /** Span objects in the result that no syntax tree owns, each once. */
  spans: Span[];
}

/** How many times each path was taken; the tests and the benchmark read these. */
export interface IncrementalStats {
  regionsParsed: number;
  regionsKept: number;
  modelsElaborated: number;
  modelsKept: number;
  fullCompiles: number;
  /** Checks of text with syntax errors done in regions, without `compile()`. */
  syntaxErrorsInRegions: number;
}

export class IncrementalChecker {
  private regions: Region[] = [];
  private readonly elaborated = new Map<ModelDecl, ElaboratedModel>();
  /** The text of the imports and top-level constants, and the imported files, the results were made with. */
  private context = "";
  /** Spans owned by syntax trees, so a result's span list leaves them to the tree. */
  private readonly treeSpans = new WeakSet<Span>();
  readonly stats: IncrementalStats = { regionsParsed: 0, regionsKept: 0, modelsElaborated: 0, modelsKept: 0, fullCompiles: 0, syntaxErrorsInRegions: 0 };

  /** `options` locate the document, for its imports: its path, and a host that reads other files. */
  check(text: string, options: Pick<CompileOptions, "path" | "host"> = {}): Compilation {
    const regions = text.length > LIMITS.fileSize ? undefined : this.updateRegions(text);
    if (regions === undefined || !parsedAsWholeFile(regions)) {
      this.stats.fullCompiles++;
      return compile(text, options);
    }
    if (regions.some((r) => r.syntaxDiagnostics.some((d) => d.code === "E0101" || d.code === "E0102"))) this.stats.syntaxErrorsInRegions++;
    const program: Program = {
      declarations: regions.flatMap((r) => r.declarations),
      imports: regions.flatMap((r) => r.imports),
      constants: regions.flatMap((r) => r.constants),
      comments: regions.flatMap((r) => r.comments),
      span: { start: 0, end: text.length },
    };
    const sink = new DiagnosticSink();
    for (const region of regions) for (const d of region.syntaxDiagnostics) sink.add(d);
    // Imports and top-level constants go through the compiler's own module loader, with this
    // file's tree as assembled here; the imported files' trees are reused while unchanged.
    const loader = new ModuleLoader(options.host ?? memoryHost(), sink);
    const main = loader.loadMain(text, options.path, { program });
    const blocks = main.blocks;
    const modelDecls = main.models;
    // Results depend on the imports and constants as well as on the trees they were made from.
    const context = [...program.imports, ...program.constants].map((d) => text.slice(d.span.start, d.span.end)).join("\n") + loader.sources.files.slice(1).map((f) => `\n${f.path}\u0000${f.text}`).join("");
    if (context !== this.context) {
      this.elaborated.clear();
      this.context = context;
    }
    const blockNames = [...blocks.keys()].join(",");
    const calls: CallTable = new Map();
    const models: ModelGraph[] = [];
    const alive = new Set<ModelDecl>();
    for (const decl of modelDecls) {
      const result = this.elaborate(decl, blocks, blockNames, loader.scopes);
      alive.add(decl);
      models.push(result.graph);
      for (const d of result.diagnostics) sink.add(d);
      for (const [call, facts] of result.calls) if (!calls.has(call)) calls.set(call, facts);
    }
    for (const decl of [...this.elaborated.keys()]) if (!alive.has(decl)) this.elaborated.delete(decl);
    const trains = checkTrainDeclarations(program, models, sink);
    const sources = loader.sources;
    return { text, program, diagnostics: sortDiagnostics(sink.items), models, trains, calls, sources: sources.files, modules: loader.modules, locate: (span) => sources.locate(span) };
  }

  /**
   * Cuts the text into regions, keeping (and moving) unchanged ones and parsing the rest;
   * undefined where the file nests too deeply to be parsed at all.
   */
  private updateRegions(text: string): Region[] | undefined {
    const { bounds, tooDeep } = regionBounds(text);
    if (tooDeep) return undefined;
    const previous = new Map<string, Region[]>();
    for (const region of this.regions) {
      const list = previous.get(region.text);
      if (list === undefined) previous.set(region.text, [region]);
      else list.push(region);
    }
    const kept = new Map<Region, number>();
    const next: (Region | { start: number; text: string })[] = bounds.map(({ start, end }) => {
      const regionText = text.slice(start, end);
      const reused = previous.get(regionText)?.shift();
      if (reused === undefined) return { start, text: regionText };
      kept.set(reused, start - reused.start);
      return reused;
    });
    this.moveResults(kept);
    for (const [region, delta] of kept) {
      if (delta !== 0) for (const span of region.spans) shift(span, delta);
      region.start += delta;
    }
    this.stats.regionsKept += kept.size;
    this.regions = next.map((r) => ("declarations" in r ? r : this.parseRegion(r.start, r.text)));
    return this.regions;
  }

  private parseRegion(start: number, text: string): Region {
    this.stats.regionsParsed++;
    const { program, diagnostics, dependsOnSurroundings } = parseRegion(text);
    const spans = collectSpans([program.declarations, program.imports, program.constants, program.comments, diagnostics], new Set());
    for (const span of spans) {
      shift(span, start);
      this.treeSpans.add(span);
    }
    return { start, text, declarations: program.declarations, comments: program.comments, syntaxDiagnostics: diagnostics, imports: program.imports, constants: program.constants, topLevel: program.imports.length > 0 || program.constants.length > 0, dependsOnSurroundings, spans };
  }

  /**
   * Moves the spans of kept elaboration results with the regions they point into. Results
   * whose trees did not all survive are dropped; they will be made again.
   */
  private moveResults(kept: Map<Region, number>): void {
    const keptDecls = new Map<Declaration, Region>();
    for (const region of kept.keys()) for (const decl of region.declarations) keptDecls.set(decl, region);
    const regionsByStart = [...kept.keys()].sort((a, b) => a.start - b.start);
    for (const [decl, result] of this.elaborated) {
      // Blocks from imported files are not in any region; the import context decides about them.
      if (!result.sources.every((s) => keptDecls.has(s) || s.span.start >= FILE_SPACING)) {
        this.elaborated.delete(decl);
        continue;
      }
      for (const span of result.spans) {
        if (span.start >= FILE_SPACING) continue;
        const region = containing(regionsByStart, span.start);
        if (region === undefined) {
          this.elaborated.delete(decl);
          break;
        }
        shift(span, kept.get(region)!);
      }
    }
  }

  private elaborate(decl: ModelDecl, blocks: ReadonlyMap<string, BlockDecl>, blockNames: string, scopes: ModuleLoader["scopes"]): ElaboratedModel {
    const sources = [decl, ...reachableBlocks(decl, blocks)];
    const cached = this.elaborated.get(decl);
    if (cached !== undefined && cached.blockNames === blockNames && cached.sources.length === sources.length && cached.sources.every((s, i) => s === sources[i])) {
      this.stats.modelsKept++;
      return cached;
    }
    this.stats.modelsElaborated++;
    const sink = new DiagnosticSink();
    const calls: CallTable = new Map();
    const graph = new Elaborator(blocks, sink, calls, scopes).elaborate(decl);
    const own = new Set<Span>();
    const spans = collectSpans([graph.nodes.map((n) => n.span), sink.items], own).filter((s) => !this.treeSpans.has(s));
    const result: ElaboratedModel = { sources, blockNames, graph, diagnostics: sink.items, calls: [...calls], spans };
    this.elaborated.set(decl, result);
    return result;
  }
}

/** The blocks a model calls, directly or through other blocks, in the order first reached. */
function reachableBlocks(decl: ModelDecl, blocks: ReadonlyMap<string, BlockDecl>): BlockDecl[] {
  const out: BlockDecl[] = [];
  const seen = new Set<BlockDecl>();
  const visit = (body: ModelDecl["body"]): void => {
    for (const call of callsIn(body)) {
      const block = blocks.get(call.name.text);
      if (block === undefined || seen.has(block)) continue;
      seen.add(block);
      out.push(block);
      visit(block.body);
    }
  };
  visit(decl.body);
  return out;
}

/**
 * Whether parsing each region on its own gives what parsing the whole file gives: no
 * region's parse depended on the text before it, except the first's (nothing is before it),
 * or on the text after it, except the last's (nothing is after it).
 */
function parsedAsWholeFile(regions: readonly Region[]): boolean {
  return regions.every((region, i) => !(region.dependsOnSurroundings.before && i > 0) && !(region.dependsOnSurroundings.after && i < regions.length - 1));
}

/**
 * The top-level regions of a text: consecutive ranges that cover it, each ending right
 * after a `}` that closes a top-level brace. Text after the last one joins the last region.
 * `tooDeep`: the file nests deeper than the parser's limit, so it is refused as a whole.
 */
export function regionBounds(text: string): { bounds: Span[]; tooDeep: boolean } {
  const { tokens, tooDeep } = T.lex(text);
  const bounds: Span[] = [];
  let start = 0;
  let depth = 0;
  // `import { a, b } from "…"`: the name list's braces do not close a declaration.
  let importBraces = false;
  let previous: (typeof tokens)[number] | undefined;
  for (const token of tokens) {
    if (token.tokenType === T.LBrace) {
      if (depth === 0) importBraces = previous?.tokenType === T.Import;
      depth++;
    } else if (token.tokenType === T.RBrace && depth > 0) {
      depth--;
      if (depth === 0 && !importBraces) {
        const end = token.startOffset + 1;
        bounds.push({ start, end });
        start = end;
      }
    }
    if (token.tokenType !== T.Newline) previous = token;
  }
  if (start < text.length || bounds.length === 0) {
    if (bounds.length > 0 && /^\s*$/.test(text.slice(start))) bounds[bounds.length - 1]!.end = text.length;
    else bounds.push({ start, end: text.length });
  }
  return { bounds, tooDeep: tooDeep !== undefined };
}

function shift(span: Span, delta: number): void {
  span.start += delta;
  span.end += delta;
}

/** The kept region whose old range contains an offset (regions sorted by start). */
function containing(regions: Region[], offset: number): Region | undefined {
  let found: Region | undefined;
  for (const region of regions) {
    if (region.start > offset) break;
    if (offset <= region.start + region.text.length) found = region;
  }
  return found;
}

/** Every distinct span object reachable from a value that `seen` does not hold yet. */
function collectSpans(root: unknown, seen: Set<Span>): Span[] {
  const out: Span[] = [];
  forEachSpan(root, (span) => {
    if (seen.has(span)) return;
    seen.add(span);
    out.push(span);
  });
  return out;
}
