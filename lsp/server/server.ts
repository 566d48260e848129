// The language server: the one module that speaks the Language Server Protocol. It keeps
// the open documents, checks each new version, and translates between protocol positions
// and the offsets that the editor features in src/ide/ take and return.
//
// Checking while typing: a change schedules a check instead of running one, and a check
// that finds a newer change already queued waits for it, so a burst of keystrokes is
// checked once, at its end. Requests use the analysis of the document's current version,
// made on demand when the scheduled check has not run yet, and shared with it.
//
// Imports: a document's imports are read from the open buffer when the file is open, else
// from disk. A change to an open document re-checks the open documents that import it.
// Diagnostics that lie in an imported file are published for that file when it is open;
// otherwise they are shown at the import that brings the file in. Definition, references
// and rename reach into other files: the open documents and the `.cnn` files under the
// workspace folders the client named.

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
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SourceHost } from "../../src/check/modules.js";
import { nodeHost } from "../../src/host/node.js";
import type { Diagnostic, Span } from "../../src/diagnostics/diagnostic.js";
import { LineIndex } from "../../src/diagnostics/line-index.js";
import { checkText } from "../../src/driver.js";
import { crossFileReferences, definitionAcrossFiles, exportedNameAt, renameAcrossFiles, type WorkspaceFile } from "../../src/ide/workspace.js";
import { formatText } from "../../src/format/printer.js";
import { analysisOf, type Analysis } from "../../src/ide/analysis.js";
import { IncrementalChecker } from "../../src/ide/incremental.js";
import { codeActions } from "../../src/ide/code-actions.js";
import { completion, type CompletionKind } from "../../src/ide/completion.js";
import { documentSymbols, type OutlineKind, type OutlineSymbol } from "../../src/ide/document-symbols.js";
import { foldingRanges } from "../../src/ide/folding.js";
import { hover } from "../../src/ide/hover.js";
import { inlayHints } from "../../src/ide/inlay-hints.js";
import { references } from "../../src/ide/references.js";
import { prepareRename, rename } from "../../src/ide/rename.js";
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from "../../src/ide/semantic-tokens.js";
import { signatureHelp } from "../../src/ide/signature-help.js";

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
  /** The files the last analysis imported (absolute paths), directly or not. */
  imports: string[];
}

/** The file path of a `file:` URI; undefined for other schemes (an untitled buffer). */
function pathOf(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** At most this many `.cnn` files are read from the workspace folders for a cross-file search. */
const WORKSPACE_FILE_LIMIT = 5000;

/** The `.cnn` files under a folder, skipping dependency, build and hidden folders. */
function cnnFilesUnder(folder: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (out.length >= WORKSPACE_FILE_LIMIT) return;
    if (entry.isDirectory()) {
      if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "dist") continue;
      cnnFilesUnder(join(folder, entry.name), out);
    } else if (entry.isFile() && entry.name.endsWith(".cnn")) out.push(join(folder, entry.name));
  }
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
    if (state === undefined) states.set(uri, (state = { checker: new IncrementalChecker(), imports: [] }));
    return state;
  };
  let workspaceFolders: string[] = [];

  /** The open document of a file, if any. */
  const openDocument = (path: string): TextDocument | undefined => documents.all().find((d) => pathOf(d.uri) === path);

  /** Imports read the open, possibly unsaved, buffer of a file before the disk. */
  const host: SourceHost = {
    readFile: (path) => openDocument(path)?.getText() ?? nodeHost.readFile(path),
    listCnnFiles: (folder) => nodeHost.listCnnFiles(folder),
    stdlibFolder: nodeHost.stdlibFolder,
    get workingFolder() {
      return nodeHost.workingFolder;
    },
  };

  const analysisFor = (document: TextDocument): Analysis => {
    const state = stateOf(document.uri);
    if (state.analysis === undefined || state.analysisVersion !== document.version) {
      const path = pathOf(document.uri);
      state.analysis = analysisOf(state.checker.check(document.getText(), { ...(path !== undefined ? { path } : {}), host }));
      state.analysisVersion = document.version;
      state.imports = state.analysis.compilation.sources.slice(1).flatMap((s) => (s.path === undefined ? [] : [s.path]));
    }
    return state.analysis;
  };

  /** The analysis of any workspace file: the open document's, or a fresh one of the file on disk. */
  const analyzeFile = (file: WorkspaceFile): Analysis => {
    const document = openDocument(file.path);
    return document !== undefined ? analysisFor(document) : analysisOf(checkText(file.text, { path: file.path, host }));
  };

  /** The open documents, then the `.cnn` files under the workspace folders. */
  const workspaceFiles = (): WorkspaceFile[] => {
    const files: WorkspaceFile[] = [];
    const seen = new Set<string>();
    for (const document of documents.all()) {
      const path = pathOf(document.uri);
      if (path === undefined || seen.has(path)) continue;
      seen.add(path);
      files.push({ path, text: document.getText() });
    }
    const onDisk: string[] = [];
    for (const folder of workspaceFolders) cnnFilesUnder(folder, onDisk);
    for (const path of onDisk) {
      if (seen.has(path)) continue;
      seen.add(path);
      const text = nodeHost.readFile(path);
      if (text !== undefined) files.push({ path, text });
    }
    return files;
  };

  const uriOf = (path: string): string => openDocument(path)?.uri ?? pathToFileURL(path).href;

  /** A range in another file, from that file's text as the compilation or the workspace saw it. */
  const rangeIn = (text: string, s: Span): Range => {
    const index = new LineIndex(text);
    return { start: index.position(s.start), end: index.position(s.end) };
  };

  const span = (document: TextDocument, range: Range): Span => ({ start: document.offsetAt(range.start), end: document.offsetAt(range.end) });
  const range = (document: TextDocument, s: Span): Range => ({ start: document.positionAt(s.start), end: document.positionAt(s.end) });

  /** Where a span of an analysis lies, as a protocol location: in the document itself, or in a file it imports. */
  const locationOf = (document: TextDocument, analysis: Analysis, s: Span): { uri: string; range: Range } => {
    if (s.end <= analysis.text.length) return { uri: document.uri, range: range(document, s) };
    const { file, span: local } = analysis.compilation.locate(s);
    if (file.base === 0 || file.path === undefined) return { uri: document.uri, range: range(document, s) };
    return { uri: uriOf(file.path), range: rangeIn(file.text, local) };
  };

  const toLspDiagnostic = (document: TextDocument, d: Diagnostic, analysis?: Analysis): LspDiagnostic => ({
    range: range(document, d.span),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "cnnc",
    message: d.help !== undefined ? `${d.message}\nhelp: ${d.help}` : d.message,
    relatedInformation: d.related.map((r) => ({ location: analysis === undefined ? { uri: document.uri, range: range(document, r.span) } : locationOf(document, analysis, r.span), message: r.message })),
  });

  /**
   * A diagnostic of an importer's compilation that lies in another file, as a diagnostic
   * of that file: its range and related places converted through the importer's source map.
   */
  const foreignDiagnostic = (importer: TextDocument, analysis: Analysis, d: Diagnostic, text: string): LspDiagnostic => {
    const local = analysis.compilation.locate(d.span).span;
    return {
      range: rangeIn(text, local),
      severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code,
      source: "cnnc",
      message: d.help !== undefined ? `${d.message}\nhelp: ${d.help}` : d.message,
      relatedInformation: d.related.map((r) => ({ location: locationOf(importer, analysis, r.span), message: r.message })),
    };
  };

  const publish = (document: TextDocument): void => {
    const state = stateOf(document.uri);
    if (state.publishedVersion === document.version) return;
    const analysis = analysisFor(document);
    state.publishedVersion = document.version;
    const own: LspDiagnostic[] = [];
    const mainFile = analysis.compilation.modules[0];
    for (const d of analysis.compilation.diagnostics) {
      if (d.span.start <= analysis.text.length) {
        own.push(toLspDiagnostic(document, d, analysis));
        continue;
      }
      const { file, span: local } = analysis.compilation.locate(d.span);
      const open = file.path === undefined ? undefined : openDocument(file.path);
      if (open !== undefined) {
        // Published with that document's own diagnostics; make sure they are sent again.
        const other = stateOf(open.uri);
        other.publishedVersion = undefined;
        scheduleCheck(open.uri);
        continue;
      }
      // A closed imported file: show the problem at the import that brings the file in.
      const statement = mainFile?.program.imports.find((i) => mainFile.importPaths.get(i) === file.path) ?? mainFile?.program.imports[0];
      if (statement === undefined) continue;
      const at = new LineIndex(file.text).position(local.start);
      own.push({
        ...toLspDiagnostic(document, { ...d, span: statement.pathSpan, related: [] }),
        message: `${file.name}:${at.line + 1}:${at.character + 1}: ${d.message}`,
        relatedInformation: [{ location: locationOf(document, analysis, d.span), message: d.message }, ...d.related.map((r) => ({ location: locationOf(document, analysis, r.span), message: r.message }))],
      });
    }
    // Problems in this file that only the files importing it find (a shape error in a block for a caller's input).
    const path = pathOf(document.uri);
    const seen = new Set(own.map((d) => `${d.code}@${JSON.stringify(d.range)}:${d.message}`));
    if (path !== undefined) {
      for (const importer of documents.all()) {
        if (importer.uri === document.uri || !stateOf(importer.uri).imports.includes(path)) continue;
        const other = analysisFor(importer);
        for (const d of other.compilation.diagnostics) {
          if (d.span.start <= other.text.length || other.compilation.locate(d.span).file.path !== path) continue;
          const converted = foreignDiagnostic(importer, other, d, document.getText());
          const key = `${converted.code}@${JSON.stringify(converted.range)}:${converted.message}`;
          if (seen.has(key)) continue;
          seen.add(key);
          own.push(converted);
        }
      }
    }
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: own });
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

  connection.onInitialize((params): InitializeResult => {
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    workspaceFolders = folders.flatMap((uri) => {
      const path = pathOf(uri);
      return path === undefined ? [] : [path];
    });
    return {
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
    };
  });

  documents.onDidChangeContent((event) => {
    scheduleCheck(event.document.uri);
    // Open documents that import this one see its new text at their next check.
    const path = pathOf(event.document.uri);
    if (path === undefined) return;
    for (const [uri, state] of states) {
      if (uri === event.document.uri || !state.imports.includes(path)) continue;
      state.analysis = undefined;
      state.publishedVersion = undefined;
      scheduleCheck(uri);
    }
  });
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
      const target = definitionAcrossFiles(analysis, document.offsetAt(params.position));
      if (target === undefined) return null;
      if (target.path === undefined) return { uri: document.uri, range: range(document, target.span) };
      const text = analysis.compilation.sources.find((s) => s.path === target.path)?.text ?? "";
      return { uri: uriOf(target.path), range: rangeIn(text, target.span) };
    }),
  );

  connection.onReferences((params) =>
    withDocument(params.textDocument.uri, "references", [], (document, analysis) => {
      const offset = document.offsetAt(params.position);
      const exported = exportedNameAt(analysis, offset, pathOf(document.uri), false);
      if (exported === undefined) return references(analysis, offset, params.context.includeDeclaration).map((s) => ({ uri: document.uri, range: range(document, s) }));
      const files = workspaceFiles();
      const texts = new Map(files.map((f) => [f.path, f.text]));
      return crossFileReferences(exported, files, analyzeFile)
        .filter((r) => params.context.includeDeclaration || r.role !== "declaration")
        .map((r) => ({ uri: uriOf(r.path), range: rangeIn(texts.get(r.path) ?? "", r.span) }));
    }),
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
      const offset = document.offsetAt(params.position);
      const exported = exportedNameAt(analysis, offset, pathOf(document.uri), true);
      if (exported !== undefined) {
        const files = workspaceFiles();
        const texts = new Map(files.map((f) => [f.path, f.text]));
        const across = renameAcrossFiles(exported, params.newName, files, analyzeFile, host.stdlibFolder);
        if ("error" in across) throw new ResponseError(ErrorCodes.InvalidParams, across.error);
        const changes: Record<string, { range: Range; newText: string }[]> = {};
        for (const [path, edits] of across.edits) changes[uriOf(path)] = edits.map((e) => ({ range: rangeIn(texts.get(path) ?? "", e.span), newText: e.newText }));
        return { changes };
      }
      const result = rename(analysis, offset, params.newName);
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
