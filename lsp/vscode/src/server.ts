// The language server bundled into the extension: the same server as `cnnc lsp --stdio`.

import { runLanguageServer } from "../../server/main.js";

runLanguageServer();
