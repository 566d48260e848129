// Checks over the declarations as written, before anything is elaborated: duplicate names,
// unknown layer names anywhere (including blocks no model calls), and recursion among blocks.

import { diagnostic } from "../diagnostics/codes.js";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { lookupOp, OPS, sourceName } from "../ops/registry.js";
import type { BlockDecl, Body, Call, ModelDecl, Program } from "../syntax/ast.js";
import { closestMatch } from "./suggest.js";

/** Every call in a body, in source order, including those in nested statements. */
export function callsIn(body: Body): Call[] {
  const out: Call[] = [];
  const visit = (b: Body | undefined): void => {
    if (b === undefined) return;
    for (const statement of b.statements) {
      switch (statement.kind) {
        case "chain":
          out.push(...statement.calls);
          break;
        case "repeat":
        case "for":
        case "gate":
        case "frozen":
          visit(statement.body);
          break;
        case "residual":
          visit(statement.body);
          if (statement.shortcut?.kind === "body") visit(statement.shortcut.body);
          break;
        case "if":
          visit(statement.then);
          visit(statement.otherwise);
          break;
        case "join":
          statement.branches.forEach(visit);
          break;
        default:
          break;
      }
    }
  };
  visit(body);
  return out;
}

export interface Declarations {
  /** The blocks a call in this file can name: its own, then imported ones. */
  blocks: Map<string, BlockDecl>;
  models: ModelDecl[];
}

/** What a file imports: blocks by their local names, and the names whose import failed (already reported). */
export interface ImportedNames {
  blocks: ReadonlyMap<string, BlockDecl>;
  silent: ReadonlySet<string>;
}

const NO_IMPORTS: ImportedNames = { blocks: new Map(), silent: new Set() };

export function collectDeclarations(program: Program, sink: DiagnosticSink, imported: ImportedNames = NO_IMPORTS): Declarations {
  const blocks = new Map<string, BlockDecl>();
  const models: ModelDecl[] = [];
  const seen = new Map<string, BlockDecl | ModelDecl>();
  for (const decl of program.declarations) {
    if (decl.kind === "train" || decl.name.text === "") continue;
    const name = decl.name.text;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      sink.add(diagnostic("E0209", decl.name.span, `\`${name}\` is already declared`, { related: [{ span: earlier.name.span, message: "first declared here" }], help: "rename one of them" }));
      continue;
    }
    if (decl.kind === "block" && lookupOp(name) !== undefined) {
      sink.add(diagnostic("E0209", decl.name.span, `block \`${name}\` has the name of a layer kind`, { help: "choose another name; blocks are usually Capitalised" }));
      continue;
    }
    seen.set(name, decl);
    checkParameters(decl, sink);
    if (decl.kind === "block") blocks.set(name, decl);
    else models.push(decl);
  }
  // Imported blocks can only call blocks of their own file, so recursion is checked among local ones.
  const visible = imported.blocks.size === 0 ? blocks : new Map([...imported.blocks, ...blocks]);
  for (const decl of [...blocks.values(), ...models]) checkCallNames(decl.body, visible, imported.silent, sink);
  checkRecursion(blocks, sink);
  return { blocks: visible, models };
}

function checkParameters(decl: BlockDecl | ModelDecl, sink: DiagnosticSink): void {
  const seen = new Map<string, number>();
  let sawDefault = false;
  for (const param of decl.params) {
    const name = param.name.text;
    if (seen.has(name)) sink.add(diagnostic("E0209", param.name.span, `parameter \`${name}\` is declared twice`, { help: "rename one of them" }));
    seen.set(name, 1);
    if (param.default !== undefined) sawDefault = true;
    else if (sawDefault && decl.kind === "block") {
      sink.add(diagnostic("E0203", param.name.span, `parameter \`${name}\` needs a default, because an earlier parameter has one`, { help: "move parameters with defaults to the end" }));
    }
  }
}

function checkCallNames(body: Body, blocks: ReadonlyMap<string, BlockDecl>, silent: ReadonlySet<string>, sink: DiagnosticSink): void {
  for (const call of callsIn(body)) {
    const name = call.name.text;
    if (name === "" || name === "global_" || lookupOp(name) !== undefined || blocks.has(name) || silent.has(name)) continue;
    const suggestion = closestMatch(name, [...OPS.map((o) => o.name), ...blocks.keys()]);
    const shown = suggestion ? sourceName(suggestion) : undefined;
    sink.add(
      diagnostic("E0201", call.name.span, `unknown layer or block \`${sourceName(name)}\``, {
        help: shown ? `did you mean \`${shown}\`?` : "see `cnnc ops` for the layer kinds; blocks are declared with `block NAME(…) { … }`",
        fixes: shown ? [{ title: `Change to \`${shown}\``, edits: [{ span: call.name.span, newText: shown }] }] : [],
      }),
    );
  }
}

/** Names of a cycle in a message: all of a short one, the ends of a long one. */
const CYCLE_SHOWN = 8;

/**
 * Reports each call that closes a cycle of block calls. The walk keeps its own stack: a chain
 * of thousands of blocks, each calling the next, must not overflow the compiler's.
 */
function checkRecursion(blocks: ReadonlyMap<string, BlockDecl>, sink: DiagnosticSink): void {
  const state = new Map<string, "active" | "done">();
  /** The blocks being visited, outermost first, each with the calls it has left to follow. */
  const path: { name: string; calls: Call[]; next: number }[] = [];
  const position = new Map<string, number>();
  const enter = (name: string): void => {
    state.set(name, "active");
    position.set(name, path.length);
    path.push({ name, calls: callsIn(blocks.get(name)!.body), next: 0 });
  };
  const report = (call: Call, caller: string, callee: string): void => {
    const start = position.get(callee)!;
    const names = path.length - start <= CYCLE_SHOWN ? path.slice(start).map((f) => `\`${f.name}\``) : [...path.slice(start, start + 3).map((f) => `\`${f.name}\``), `… ${path.length - start - 6} more …`, ...path.slice(-3).map((f) => `\`${f.name}\``)];
    const cycle = [...names, `\`${callee}\``].join(" → ");
    sink.add(
      diagnostic("E0210", call.span, callee === caller ? `block \`${caller}\` calls itself` : `blocks call each other in a cycle: ${cycle}`, {
        related: [{ span: blocks.get(callee)!.name.span, message: `\`${callee}\` is declared here` }],
        help: "networks are finite: use `repeat N { … }` or a `for` loop instead of recursion",
      }),
    );
  };
  for (const root of blocks.keys()) {
    if (state.has(root)) continue;
    enter(root);
    while (path.length > 0) {
      const frame = path[path.length - 1]!;
      if (frame.next === frame.calls.length) {
        path.pop();
        position.delete(frame.name);
        state.set(frame.name, "done");
        continue;
      }
      const call = frame.calls[frame.next++]!;
      const callee = call.name.text;
      if (!blocks.has(callee)) continue;
      const seen = state.get(callee);
      if (seen === "active") report(call, frame.name, callee);
      else if (seen === undefined) enter(callee);
    }
  }
}
