// The catalogue of every diagnostic cnnc reports. Codes are stable: E01xx syntax,
// E02xx names and arguments, E03xx shapes, E04xx compiler limits and values, E05xx
// training settings, E08xx imports, E09xx weights loaded from PyTorch files. `cnnc explain CODE` prints the entry.

import type { Diagnostic, Fix, RelatedInfo, Severity, Span } from "./diagnostic.js";

export interface CodeInfo {
  title: string;
  explanation: string;
  severity: Severity;
}

export const CODES = {
  E0101: { severity: "error", title: "syntax error", explanation: "The text does not follow the grammar of .cnn files. The parser recovers and keeps going, so later errors are still reported." },
  E0102: { severity: "error", title: "unexpected character", explanation: "A character that is not part of any token, or a string that is not closed before the end of the line." },
  E0103: { severity: "error", title: "nesting too deep", explanation: "Brackets, parentheses, braces and operators nest deeper than the compiler's limit (grammar/README.md, Limits). Each open bracket or brace counts one level, and so does each operator of the expression it is in, since `a + b + c` nests like `(a + b) + c`. The declarations before the one that nests too deeply are still checked; that one and the rest of the file are not read: split the expression with `let` constants, or the body into blocks." },
  E0104: { severity: "error", title: "file too large", explanation: "The source file is longer than the compiler's limit (grammar/README.md, Limits), so it is not checked. Split it into files that import each other." },
  E0201: { severity: "error", title: "unknown layer or block", explanation: "The name is neither a layer kind from the op registry nor a block declared in this file." },
  E0202: { severity: "error", title: "unknown argument", explanation: "The layer or block has no argument of this name." },
  E0203: { severity: "error", title: "missing argument", explanation: "A required argument was not given, by position or by name." },
  E0204: { severity: "error", title: "duplicate argument", explanation: "The same argument was given twice, by name or once by position and once by name." },
  E0205: { severity: "error", title: "mistyped argument", explanation: "The argument's value has the wrong type, for example a list where a number is needed, or a word that is not one of the allowed choices." },
  E0206: { severity: "error", title: "value out of range", explanation: "A number is outside the range the argument allows, for example a dropout rate of 1.5 or a negative padding." },
  E0207: { severity: "error", title: "unknown name", explanation: "The name is not a parameter, a `let` constant, a loop variable or a built-in function in scope." },
  E0208: { severity: "error", title: "too many positional arguments", explanation: "More arguments were given by position than the layer or block accepts; name the extra ones." },
  E0209: { severity: "error", title: "duplicate definition", explanation: "Two declarations, parameters or constants have the same name in the same scope." },
  E0210: { severity: "error", title: "recursive block", explanation: "A block calls itself, directly or through other blocks. Networks are finite, so blocks may not recurse; use `repeat` or a loop." },
  E0211: { severity: "error", title: "unknown tensor", explanation: "The name does not refer to a tensor named earlier with `as NAME` or to the model's input." },
  E0212: { severity: "error", title: "misplaced statement", explanation: "The statement is not allowed where it is written, for example `input` inside a block, or a model without an input." },
  E0213: { severity: "error", title: "unknown model", explanation: "The file has no model of this name, or no model at all." },
  E0301: { severity: "error", title: "channel mismatch", explanation: "A layer states the number of input channels (or features) it expects, PyTorch-style, and the incoming tensor has a different number." },
  E0302: { severity: "error", title: "residual shapes differ", explanation: "A residual connection adds its input to its body's output, so both must have the same shape. `shortcut auto` inserts a 1x1 convolution and batchnorm where they differ." },
  E0303: { severity: "error", title: "concat shapes differ", explanation: "Tensors joined by concat must agree in every dimension except the channels." },
  E0304: { severity: "error", title: "add or multiply shapes differ", explanation: "Tensors joined element-wise must have equal shapes (a gate may also be broadcast over height and width)." },
  E0305: { severity: "error", title: "kernel larger than input", explanation: "A convolution or pooling window does not fit in its (padded) input." },
  E0306: { severity: "error", title: "non-positive output size", explanation: "The layer's output would have a dimension of zero or less." },
  E0307: { severity: "error", title: "dense on a spatial tensor", explanation: "A dense layer needs a flat [features] tensor; insert `flatten` or `global avgpool` before it." },
  E0308: { severity: "error", title: "wrong rank", explanation: "The layer needs an input of a different rank, for example a convolution on a flattened tensor." },
  E0309: { severity: "error", title: "invalid groups", explanation: "A grouped convolution needs both its input and output channels to be divisible by the number of groups." },
  E0310: { severity: "error", title: "shape assertion failed", explanation: "An `expect` statement states a shape that differs from the one the checker inferred." },
  E0312: { severity: "error", title: "channels not divisible", explanation: "A channel split or shuffle divides the channels into equal groups, so the number of groups must divide the incoming channels." },
  E0311: { severity: "error", title: "unknown input shape", explanation: "The model's input shape is not a list of positive whole numbers." },
  E0701: { severity: "error", title: "no input size fits", explanation: "The model's input has named sizes such as H and W. This layer needs sizes that the layers before it rule out (or that no size satisfies), so no input size passes the check. The message says what this layer needs and what the earlier layers allow." },
  E0702: { severity: "error", title: "size relation cannot be decided", explanation: "A shape check depends on two named sizes at once, for example adding a [H, W] tensor to a [W, H] one. cnnc narrows each size on its own and does not track relations between them: use one name where the sizes must be equal, or give the sizes with `--shape`." },
  E0703: { severity: "error", title: "count depends on the input size", explanation: "A layer's weights would depend on a symbolic size, for example a dense layer after `flatten` on an input of [H, W, 3]. Networks that accept many sizes end in global pooling; otherwise fix the size with `--shape`." },
  E0704: { severity: "error", title: "block contract violated", explanation: "A block declares the shapes it takes and gives (`block f(...): [h, w, c] -> [h / 2, w / 2, 64]`). Either its body does not produce the declared output for every input the contract admits, or a call passes a tensor the contract does not admit." },
  E0705: { severity: "error", title: "size not accepted", explanation: "A size given with `--shape` is not one the model accepts: the layers named in the related notes need another. `cnnc summary` on the symbolic model lists the accepted sizes." },
  E0401: { severity: "error", title: "compiler limit exceeded", explanation: "A repeat count, loop length, number of layers or number of parameters is over the limit that keeps compilation bounded." },
  E0402: { severity: "error", title: "invalid value", explanation: "An expression cannot be evaluated: division by zero, a fraction where a whole number is needed, or an operation on the wrong type of value." },
  E0403: { severity: "error", title: "block calls nest too deeply", explanation: "Unrolling the model enters more nested bodies at once than the compiler's limit (grammar/README.md, Limits): a block that calls a block that calls a block, each inside loops and residuals. Flatten the chain: call the inner blocks one after another instead of one inside another." },
  E0404: { severity: "error", title: "size arithmetic too complex", explanation: "A symbolic size expression (over input sizes such as H and W) repeats its pattern only after more sizes than the compiler's limit, or nests divisions deeper than it (grammar/README.md, Limits): many strides or divisors that share no factor, such as `floor(H / 7) + floor(H / 11) + floor(H / 13)`. Answering questions about it would take too long. Simplify the arithmetic, or give the sizes with `--shape`." },
  E0501: { severity: "error", title: "unknown training setting", explanation: "The `train` declaration has a setting, optimizer, schedule, loss or metric that cnnc does not know." },
  E0502: { severity: "error", title: "inconsistent training settings", explanation: "The training settings contradict each other or the model, for example a from-logits loss on a softmax output." },
  E0601: { severity: "error", title: "the target cannot express this layer", explanation: "The layer is valid .cnn, but the chosen target (TensorFlow.js) has no exact equivalent. cnnc refuses rather than emit a model that computes something else." },
  E0620: { severity: "error", title: "the ONNX graph would depend on the input size", explanation: "An ONNX model of a network with symbolic sizes (H, W) takes every accepted size through one graph, so no layer's lowering may depend on the size. This layer's does (for example TensorFlow `same` padding whose split depends on the size, or adaptive pooling whose window does): fix the sizes with `--shape H=…,W=…` and build one ONNX model per size." },
  E0640: { severity: "error", title: "too deep for TensorFlow.js", explanation: "tfjs-layers walks a model's graph recursively when it builds and loads it, and overflows the JavaScript stack on very long chains of layers (a RangeError from inside tfjs). cnnc refuses such a model before building it, at the layer where the chain passes the limit. `cnnc check` and `summary` take models of any depth, and the PyTorch target has no such limit." },
  E0650: { severity: "error", title: "a training step does not fit the WebAssembly heap", explanation: "tfjs's WebAssembly backend keeps every tensor of a training step in one WebAssembly memory, which cannot grow past 4 GiB however much memory the machine has. cnnc estimates a step's memory before training (`cnnc summary` prints the estimate) and refuses a batch whose step would not fit, instead of failing mid-step. Train with the largest batch that fits (`--batch N`, as the help says), or on the plain JavaScript backend (`--backend cpu`), which is slower but limited only by the machine's memory." },
  E0970: { severity: "error", title: "no model to bundle", explanation: "A `.cnn` file imported through cnnc/vite or cnnc/esbuild becomes the module that builds one of its models, so it must declare a model (the last one is used, or the one the plugin's `model` option names). A file of blocks only is imported by other .cnn files, not by the app." },
  E0971: { severity: "error", title: "symbolic sizes in a bundled model", explanation: "A bundled module builds a model with fixed input sizes, as `cnnc build` does. Write the sizes in the `input` statement, or give them to the plugin: `cnnc({ sizes: { H: 224, W: 224 } })`." },
  E0801: { severity: "error", title: "imported file not found", explanation: "An import names a file that cannot be read. Relative paths (`./blocks.cnn`, `../common.cnn`) are resolved from the folder of the importing file, and `.cnn` may be left out; `std/NAME` is a file of the standard library shipped with cnnc (`stdlib/` in the package)." },
  E0802: { severity: "error", title: "import cycle", explanation: "Files import each other in a cycle. Each file is checked after the files it imports, so a cycle has no order; move the shared blocks to a file that both import." },
  E0803: { severity: "error", title: "unknown imported name", explanation: "The imported file declares no block or top-level constant of this name." },
  E0804: { severity: "error", title: "imported name already defined", explanation: "An imported name is also declared in the importing file, or imported twice. Rename one, or import it under another name with `import { NAME as OTHER } from \"PATH\"`." },
  E0805: { severity: "error", title: "not importable", explanation: "Only blocks and top-level `let` constants can be imported. A model (with its `train` settings) is compiled from its own file; to reuse its layers, move them into a block." },
  W0901: { severity: "warning", title: "training may not fit in memory", explanation: "cnnc's estimate of a training step's memory (`cnnc summary` prints it: parameters, gradients, optimizer state, and the tensors tfjs keeps during a step, at the batch size used) is larger than the memory this machine has free. Training may swap heavily or be killed. A smaller `--batch` reduces the activations in proportion; a smaller input size or fewer channels reduce them too." },
  E0901: { severity: "error", title: "weights do not fit a layer", explanation: "A PyTorch state_dict given to `cnnc convert` or `cnnc train --init` has no module with this layer's shapes where the layer stands in the network (matched by graph order, kind and shape, whatever the key names). Without --strict the layer starts fresh, as a new classification head should; with --strict it is an error. --explain prints the whole mapping; a map file (--map) pins a layer to a module by name." },
  E0902: { severity: "error", title: "unused weights", explanation: "Modules of the state_dict fit no layer of the model: usually the old head when the model has a new one (1,000 classes to 10). Without --strict they are ignored; with --strict it is an error." },
  E0903: { severity: "error", title: "invalid weight map", explanation: "The map file given with --map is a JSON object from cnnc layer names (as `cnnc summary` lists them) to state_dict module names (the key up to its last dot, such as `layer1.0.conv1`), or null to start a layer fresh. It names a layer or module that does not exist, or pins a module whose shapes differ from the layer's." },
  E0904: { severity: "error", title: "weights of another network", explanation: "No layer of the model matches any module of the state_dict by shape: the file holds the weights of a different network, or of a different configuration of it." },
  W0201: { severity: "warning", title: "shadowed constant", explanation: "A `let` reuses the name of a parameter, loop variable or constant from an enclosing scope. Values never change in .cnn: the new name hides the old one only inside the current body, so a loop cannot accumulate a value this way." },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export interface DiagnosticExtras {
  label?: string;
  related?: RelatedInfo[];
  help?: string;
  fixes?: Fix[];
}

export function diagnostic(code: Code, span: Span, message: string, extras: DiagnosticExtras = {}): Diagnostic {
  return {
    code,
    severity: CODES[code].severity,
    message,
    span,
    label: extras.label,
    related: extras.related ?? [],
    help: extras.help,
    fixes: extras.fixes ?? [],
  };
}

export function syntaxError(message: string, span: Span): Diagnostic {
  return diagnostic("E0101", span, message);
}

export function unexpectedCharacter(offset: number, length: number, text: string): Diagnostic {
  const span = { start: offset, end: offset + length };
  if (text.startsWith('"')) {
    return diagnostic("E0102", span, "unterminated string", { help: "close the string with `\"` on the same line" });
  }
  return diagnostic("E0102", span, `unexpected character \`${text}\``, { help: "remove it; comments start with `//`" });
}
