// The CodeMirror 6 editor, wired to the compiler worker: diagnostics pushed as the worker
// sends them, the output shapes as inlay widgets, hovers, completion (with the language
// server's snippets), formatting (Shift-Alt-F) and the language server's semantic tokens
// for colour. Every answer comes from the worker; this file only draws.

import { basicSetup } from "codemirror";
import { autocompletion, snippetCompletion, type Completion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { indentUnit } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { StateEffect, StateField, type Extension, type Range } from "@codemirror/state";
import { Decoration, EditorView, hoverTooltip, keymap, WidgetType, type DecorationSet } from "@codemirror/view";
import type { CompilerClient } from "./client.js";
import { renderMarkdown } from "./markdown.js";
import type { PageCompletion, PageDiagnostic, PageInlayHint, PageToken } from "./protocol.js";

class ShapeHint extends WidgetType {
  constructor(
    readonly label: string,
    readonly tooltip: string | undefined,
  ) {
    super();
  }
  override eq(other: ShapeHint): boolean {
    return other.label === this.label && other.tooltip === this.tooltip;
  }
  toDOM(): HTMLElement {
    const span = document.createElement("span");
    span.className = "cm-inlay-hint";
    span.textContent = this.label;
    if (this.tooltip !== undefined) span.title = this.tooltip.replace(/[`*]/g, "");
    return span;
  }
}

const setHints = StateEffect.define<DecorationSet>();
const setTokens = StateEffect.define<DecorationSet>();

/** Decorations replaced wholesale by an effect and mapped through edits in between. */
function decorationField(effect: typeof setHints): StateField<DecorationSet> {
  return StateField.define<DecorationSet>({
    create: () => Decoration.none,
    update(value, transaction) {
      let next = value.map(transaction.changes);
      for (const e of transaction.effects) if (e.is(effect)) next = e.value;
      return next;
    },
    provide: (field) => EditorView.decorations.from(field),
  });
}
const hintField = decorationField(setHints);
const tokenField = decorationField(setTokens);

const COMPLETION_TYPES: Record<string, string> = {
  layer: "function",
  block: "class",
  keyword: "keyword",
  argument: "property",
  value: "enum",
  tensor: "variable",
  constant: "constant",
  setting: "property",
  function: "function",
  model: "class",
  snippet: "text",
};

/** LSP snippet syntax ($1, ${1:x}, $0 last) in CodeMirror's (${1:x}, numbered in order of visit). */
function cmSnippet(text: string): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => `\${${n === "0" ? 99 : n}}`).replace(/\$\{0:/g, "${99:");
}

/** `rank` is the item's place in the server's order; CodeMirror ranks equal matches by boost, higher first. */
function toCompletion(item: PageCompletion, rank: number): Completion {
  const info = item.documentation;
  const base: Completion = {
    label: item.label,
    type: COMPLETION_TYPES[item.kind] ?? "text",
    boost: Math.max(-99, 99 - rank),
    ...(item.detail !== undefined && item.detail !== item.label ? { detail: item.detail } : {}),
    ...(info !== undefined ? { info: () => renderMarkdown(info) } : {}),
  };
  if (item.snippet) return snippetCompletion(cmSnippet(item.insertText ?? item.label), base);
  return item.insertText !== undefined ? { ...base, apply: item.insertText } : base;
}

export interface Editor {
  view: EditorView;
  setText(text: string): void;
  showDiagnostics(diagnostics: PageDiagnostic[], hints: PageInlayHint[]): void;
  showTokens(tokens: PageToken[]): void;
  format(): Promise<string | undefined>;
  /** Puts the cursor at the start of a 1-based line and shows it. */
  goToLine(line: number): void;
}

export function createEditor(parent: HTMLElement, client: CompilerClient, onChange: (text: string) => void): Editor {
  const completionSource = async (context: CompletionContext): Promise<CompletionResult | null> => {
    // Typing sends the text before the completion asks, so the worker answers for this text.
    const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_]*/);
    if (!context.explicit && word === null && !/[>:(,[]\s*$/.test(context.state.sliceDoc(Math.max(0, context.pos - 2), context.pos))) return null;
    const result = await client.complete(context.pos);
    if (result === undefined || context.aborted) return null;
    const ordered = [...result.items].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
    return { from: result.from, to: result.to, options: ordered.map(toCompletion), validFor: /^[A-Za-z0-9_]*$/ };
  };

  const hovers = hoverTooltip(async (_view, pos) => {
    const result = await client.hover(pos);
    if (result === undefined) return null;
    return {
      pos: result.from,
      end: result.to,
      above: true,
      create: () => {
        const dom = renderMarkdown(result.markdown);
        dom.classList.add("cm-hover-doc");
        return { dom };
      },
    };
  });

  const format = async (): Promise<string | undefined> => {
    const result = await client.format();
    if (result.text === undefined) return result.error;
    const current = view.state.doc.toString();
    if (result.text !== current) view.dispatch({ changes: { from: 0, to: current.length, insert: result.text } });
    return undefined;
  };

  const extensions: Extension[] = [
    basicSetup,
    indentUnit.of("  "),
    lintGutter(),
    hintField,
    tokenField,
    hovers,
    autocompletion({ override: [completionSource], activateOnTyping: true }),
    keymap.of([{ key: "Shift-Alt-f", run: () => (void format(), true) }]),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
    }),
  ];
  const view = new EditorView({ parent, extensions });

  return {
    view,
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 } });
      view.scrollDOM.scrollTop = 0;
    },
    showDiagnostics(diagnostics, hints) {
      const length = view.state.doc.length;
      const cm: Diagnostic[] = diagnostics.map((d) => ({
        from: Math.min(d.from, length),
        to: Math.min(Math.max(d.to, d.from), length),
        severity: d.severity,
        source: d.code,
        message: d.message + (d.help !== undefined ? `\nhelp: ${d.help}` : "") + d.related.map((r) => `\nline ${r.line}: ${r.message}`).join(""),
      }));
      const widgets: Range<Decoration>[] = hints
        .filter((h) => h.offset <= length)
        .map((h) => Decoration.widget({ widget: new ShapeHint(h.label, h.tooltip), side: 1 }).range(h.offset));
      view.dispatch(setDiagnostics(view.state, cm), { effects: setHints.of(Decoration.set(widgets, true)) });
    },
    showTokens(tokens) {
      const length = view.state.doc.length;
      const marks = tokens.filter((t) => t.to <= length && t.from < t.to).map((t) => Decoration.mark({ class: `tok-${t.type}` }).range(t.from, t.to));
      view.dispatch({ effects: setTokens.of(Decoration.set(marks, true)) });
    },
    format,
    goToLine(line) {
      const target = view.state.doc.line(Math.max(1, Math.min(line, view.state.doc.lines)));
      view.dispatch({ selection: { anchor: target.from, head: target.to }, effects: EditorView.scrollIntoView(target.from, { y: "center" }) });
      view.focus();
    },
  };
}
