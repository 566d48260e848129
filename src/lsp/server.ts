// The language server: the one module that speaks the Language Server Protocol. It keeps
// the open documents, checks each new version, and translates between protocol positions
// and the offsets that the editor features in src/ide/ take and return.
//
// Checking while typing: a change schedules a check instead of running one, and a check
// that finds a newer change already queued waits for it, so a burst of keystrokes is
// checked once, at its end. Requests use the analysis of the document's current version,
// made on demand when the scheduled check has not run yet, and shared with it.

import {
  CodeActionKind,
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  DocumentHighlightKind,
  ErrorCodes,
  FoldingRangeKind,
  InlayHintKind,
  InsertTextFormat,
  MarkupKind,
  ProposedFeatures,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  SymbolKind,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction as LspCodeAction,
  type CompletionItem as LspCompletionItem,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DocumentSymbol,
  type InitializeResult,
  type Range,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.js";
import { formatText } from "../format/printer.js";
import { analysisOf, type Analysis } from "../ide/analysis.js";
import { IncrementalChecker } from "../ide/incremental.js";
import { codeActions } from "../ide/code-actions.js";
import { completion, type CompletionKind } from "../ide/completion.js";
import { definition } from "../ide/definition.js";
import { documentSymbols, type OutlineKind, type OutlineSymbol } from "../ide/document-symbols.js";
import { foldingRanges } from "../ide/folding.js";
import { hover } from "../ide/hover.js";
import { inlayHints } from "../ide/inlay-hints.js";
import { references } from "../ide/references.js";
import { prepareRename, rename } from "../ide/rename.js";
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from "../ide/semantic-tokens.js";
import { signatureHelp } from "../ide/signature-help.js";

const COMPLETION_KINDS: Record<CompletionKind, CompletionItemKind> = {
  layer: CompletionItemKind.Function,
  block: CompletionItemKind.Class,
  keyword: CompletionItemKind.Keyword,
  argument: CompletionItemKind.Property,
  value: CompletionItemKind.EnumMember,
  tensor: CompletionItemKind.Variable,
  constant: CompletionItemKind.Constant,
  setting: CompletionItemKind.Property,
  function: CompletionItemKind.Function,
  model: CompletionItemKind.Class,
  snippet: CompletionItemKind.Snippet,
};

const OUTLINE_KINDS: Record<OutlineKind, SymbolKind> = {
  model: SymbolKind.Class,
  block: SymbolKind.Function,
  train: SymbolKind.Object,
  layer: SymbolKind.Method,
  "block-call": SymbolKind.Method,
  input: SymbolKind.Variable,
  constant: SymbolKind.Constant,
  statement: SymbolKind.Namespace,
  setting: SymbolKind.Property,
};

interface DocumentState {
  /** Keeps the unchanged declarations of the last version, so a keystroke rechecks only what it touched. */
  checker: IncrementalChecker;
  analysis?: Analysis;
  analysisVersion?: number;
  publishedVersion?: number;
  /** The version a scheduled check last saw; it runs once a tick passes with no newer one. */
  seenVersion?: number;
  timer?: ReturnType<typeof setImmediate>;
}

/** Starts a server on this process's standard input and output. */
export function startStdioServer(): Connection {
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  startServer(connection);
  return connection;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocumentState>();
  const stateOf = (uri: string): DocumentState => {
    let state = states.get(uri);
    if (state === undefined) states.set(uri, (state = { checker: new IncrementalChecker() }));
    return state;
  };

  const analysisFor = (document: TextDocument): Analysis => {
    const state = stateOf(document.uri);
    if (state.analysis === undefined || state.analysisVersion !== document.version) {
      state.analysis = analysisOf(state.checker.check(document.getText()));
      state.analysisVersion = document.version;
    }
    return state.analysis;
  };

  const span = (document: TextDocument, range: Range): Span => ({ start: document.offsetAt(range.start), end: document.offsetAt(range.end) });
  const range = (document: TextDocument, s: Span): Range => ({ start: document.positionAt(s.start), end: document.positionAt(s.end) });

  const toLspDiagnostic = (document: TextDocument, d: Diagnostic): LspDiagnostic => ({
    range: range(document, d.span),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "cnnc",
    message: d.help !== undefined ? `${d.message}\nhelp: ${d.help}` : d.message,
    relatedInformation: d.related.map((r) => ({ location: { uri: document.uri, range: range(document, r.span) }, message: r.message })),
  });

  const publish = (document: TextDocument): void => {
    const state = stateOf(document.uri);
    if (state.publishedVersion === document.version) return;
    const analysis = analysisFor(document);
    state.publishedVersion = document.version;
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: analysis.compilation.diagnostics.map((d) => toLspDiagnostic(document, d)) });
  };

  const scheduleCheck = (uri: string): void => {
    const state = stateOf(uri);
    if (state.timer !== undefined) return;
    const run = (): void => {
      state.timer = undefined;
      const document = documents.get(uri);
      if (document === undefined) return;
      if (state.seenVersion !== document.version && state.analysisVersion !== document.version) {
        // Another change may be queued behind this one: look again after it.
        state.seenVersion = document.version;
        state.timer = setImmediate(run);
        return;
      }
      guard("diagnostics", () => publish(document), undefined);
    };
    state.timer = setImmediate(run);
  };

  /** Runs a handler; a bug in a feature is logged and answered with `fallback`, never a crash. */
  function guard<T>(what: string, body: () => T, fallback: T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      connection.console.error(`cnnc: internal error in ${what}: ${(error as Error).stack ?? String(error)}`);
      return fallback;
    }
  }

  /** Looks up the document and runs a feature on its current analysis. */
  function withDocument<T>(uri: string, what: string, fallback: T, body: (document: TextDocument, analysis: Analysis) => T): T {
    const document = documents.get(uri);
    if (document === undefined) return fallback;
    return guard(what, () => body(document, analysisFor(document)), fallback);
  }

  connection.onInitialize((): InitializeResult => ({
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      inlayHintProvider: { resolveProvider: false },
      completionProvider: { triggerCharacters: [">", ":", "(", ",", "["], resolveProvider: false },
      signatureHelpProvider: { triggerCharacters: ["(", ",", " "], retriggerCharacters: [":"] },
      definitionProvider: true,
      referencesProvider: true,
      documentHighlightProvider: true,
      renameProvider: { prepareProvider: true },
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      semanticTokensProvider: { legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] }, full: true },
      documentFormattingProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: "cnnc", version: "0.1.0" },
  }));

  documents.onDidChangeContent((event) => scheduleCheck(event.document.uri));
  documents.onDidClose((event) => {
    const state = states.get(event.document.uri);
    if (state?.timer !== undefined) clearImmediate(state.timer);
    states.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  connection.onHover((params) =>
    withDocument(params.textDocument.uri, "hover", null, (document, analysis) => {
      const result = hover(analysis, document.offsetAt(params.position));
      return result === undefined ? null : { contents: { kind: MarkupKind.Markdown, value: result.contents }, range: range(document, result.span) };
    }),
  );

  connection.languages.inlayHint.on((params) =>
    withDocument(params.textDocument.uri, "inlay hints", [], (document, analysis) =>
      inlayHints(analysis, span(document, params.range)).map((hint) => ({
        position: document.positionAt(hint.offset),
        label: hint.label,
        kind: InlayHintKind.Type,
        paddingLeft: true,
        ...(hint.tooltip !== undefined ? { tooltip: hint.tooltip } : {}),
      })),
    ),
  );

  connection.onCompletion((params) =>
    withDocument(params.textDocument.uri, "completion", [], (document, analysis) => {
      const result = completion(analysis, document.offsetAt(params.position));
      const replace = range(document, result.replace);
      return result.items.map((item): LspCompletionItem => ({
        label: item.label,
        kind: COMPLETION_KINDS[item.kind],
        ...(item.detail !== undefined ? { detail: item.detail } : {}),
        ...(item.documentation !== undefined ? { documentation: { kind: MarkupKind.Markdown, value: item.documentation } } : {}),
        ...(item.sortText !== undefined ? { sortText: item.sortText } : {}),
        textEdit: { range: replace, newText: item.insertText ?? item.label },
        insertTextFormat: item.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      }));
    }),
  );

  connection.onSignatureHelp((params) =>
    withDocument(params.textDocument.uri, "signature help", null, (document, analysis) => {
      const help = signatureHelp(analysis, document.offsetAt(params.position));
      if (help === undefined) return null;
      return {
        signatures: [
          {
            label: help.label,
            ...(help.documentation !== undefined ? { documentation: { kind: MarkupKind.Markdown, value: help.documentation } } : {}),
            parameters: help.parameters.map((p) => ({ label: p.label, ...(p.documentation !== undefined ? { documentation: p.documentation } : {}) })),
            ...(help.activeParameter !== undefined ? { activeParameter: help.activeParameter } : {}),
          },
        ],
        activeSignature: 0,
        activeParameter: help.activeParameter ?? null,
      };
    }),
  );

  connection.onDefinition((params) =>
    withDocument(params.textDocument.uri, "definition", null, (document, analysis) => {
      const target = definition(analysis, document.offsetAt(params.position));
      return target === undefined ? null : { uri: document.uri, range: range(document, target) };
    }),
  );

  connection.onReferences((params) =>
    withDocument(params.textDocument.uri, "references", [], (document, analysis) =>
      references(analysis, document.offsetAt(params.position), params.context.includeDeclaration).map((s) => ({ uri: document.uri, range: range(document, s) })),
    ),
  );

  connection.onDocumentHighlight((params) =>
    withDocument(params.textDocument.uri, "highlight", [], (document, analysis) =>
      references(analysis, document.offsetAt(params.position), true).map((s) => ({ range: range(document, s), kind: DocumentHighlightKind.Text })),
    ),
  );

  connection.onPrepareRename((params) =>
    withDocument(params.textDocument.uri, "prepare rename", null, (document, analysis) => {
      const result = prepareRename(analysis, document.offsetAt(params.position));
      return "error" in result ? null : { range: range(document, result.span), placeholder: result.placeholder };
    }),
  );

  connection.onRenameRequest((params) =>
    withDocument(params.textDocument.uri, "rename", null, (document, analysis) => {
      const result = rename(analysis, document.offsetAt(params.position), params.newName);
      if ("error" in result) throw new ResponseError(ErrorCodes.InvalidParams, result.error);
      return { changes: { [document.uri]: result.edits.map((e) => ({ range: range(document, e.span), newText: e.newText })) } };
    }),
  );

  connection.onDocumentSymbol((params) =>
    withDocument(params.textDocument.uri, "document symbols", [], (document, analysis) => {
      const convert = (symbol: OutlineSymbol): DocumentSymbol => ({
        name: symbol.name,
        ...(symbol.detail !== undefined ? { detail: symbol.detail } : {}),
        kind: OUTLINE_KINDS[symbol.kind],
        range: range(document, symbol.span),
        // The protocol requires the selection to lie inside the range.
        selectionRange: range(document, symbol.selection.start >= symbol.span.start && symbol.selection.end <= symbol.span.end ? symbol.selection : symbol.span),
        children: symbol.children.map(convert),
      });
      return documentSymbols(analysis).map(convert);
    }),
  );

  connection.onFoldingRanges((params) =>
    withDocument(params.textDocument.uri, "folding ranges", [], (_document, analysis) =>
      foldingRanges(analysis).map((r) => ({ startLine: r.startLine, endLine: r.endLine, ...(r.kind === "comment" ? { kind: FoldingRangeKind.Comment } : {}) })),
    ),
  );

  connection.languages.semanticTokens.on((params) =>
    withDocument(params.textDocument.uri, "semantic tokens", { data: [] }, (document, analysis) => {
      const data: number[] = [];
      let line = 0;
      let character = 0;
      for (const token of semanticTokens(analysis)) {
        const position = document.positionAt(token.start);
        const deltaLine = position.line - line;
        data.push(deltaLine, deltaLine === 0 ? position.character - character : position.character, token.length, TOKEN_TYPES.indexOf(token.type), token.modifiers.reduce((bits, m) => bits | (1 << TOKEN_MODIFIERS.indexOf(m)), 0));
        line = position.line;
        character = position.character;
      }
      return { data };
    }),
  );

  connection.onDocumentFormatting((params) =>
    withDocument(params.textDocument.uri, "formatting", [], (document) => {
      const text = document.getText();
      const result = formatText(text, { indentWidth: params.options.insertSpaces ? params.options.tabSize : 2 });
      if (!result.ok || result.text === text) return [];
      return [{ range: range(document, { start: 0, end: text.length }), newText: result.text }];
    }),
  );

  connection.onCodeAction((params) =>
    withDocument(params.textDocument.uri, "code actions", [], (document, analysis) =>
      codeActions(analysis, span(document, params.range)).map((action): LspCodeAction => ({
        title: action.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toLspDiagnostic(document, action.diagnostic)],
        isPreferred: action.preferred,
        edit: { changes: { [document.uri]: action.edits.map((e) => ({ range: range(document, e.span), newText: e.newText })) } },
      })),
    ),
  );

  documents.listen(connection);
  connection.listen();
}
