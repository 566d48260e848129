// `import … from "cnnc"` in a browser bundle: the library with no file access. Imports
// resolve in the files given by `host: memoryHost({ "/abs/path.cnn": text })`; `std/NAME`
// is the standard library built into cnnc.

export * from "./library.js";
