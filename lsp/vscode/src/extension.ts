// The VS Code client for cnnc: starts the language server (the one bundled with the
// extension, or a command from the `cnnc.server.command` setting) for .cnn files.

import { workspace, type ExtensionContext } from "vscode";
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const command = workspace.getConfiguration("cnnc").get<string[]>("server.command", []);
  const serverOptions: ServerOptions =
    command.length > 0
      ? { command: command[0]!, args: command.slice(1), transport: TransportKind.stdio }
      : { module: context.asAbsolutePath("dist/server.mjs"), transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = { documentSelector: [{ scheme: "file", language: "cnn" }, { scheme: "untitled", language: "cnn" }] };
  client = new LanguageClient("cnnc", "cnnc", serverOptions, clientOptions);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
