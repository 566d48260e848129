// Writing Python source safely. Every name and string that comes from a `.cnn` file passes
// through these functions, so no source text can end a string, a comment or a line early
// and inject code into the generated files.

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type".split(" "),
);

/** `dir(builtins)` of Python 3.11, less the dunder names (a source name cannot start with `_` here). */
const PYTHON_BUILTINS =
  "ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError BufferError BytesWarning " +
  "ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis " +
  "EncodingWarning EnvironmentError Exception ExceptionGroup FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit " +
  "IOError ImportError ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError " +
  "MemoryError ModuleNotFoundError NameError NotADirectoryError NotImplemented NotImplementedError OSError OverflowError PendingDeprecationWarning " +
  "PermissionError ProcessLookupError RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration StopIteration " +
  "SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError " +
  "UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError abs aiter all anext any ascii bin bool " +
  "breakpoint bytearray bytes callable chr classmethod compile complex copyright credits delattr dict dir divmod enumerate eval exec exit filter " +
  "float format frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter len license list locals map max " +
  "memoryview min next object oct open ord pow print property quit range repr reversed round set setattr slice sorted staticmethod str sum " +
  "super tuple type vars zip";

/**
 * Names a generated module may not use for its own class, layers or locals: nn.Module's
 * attributes (a layer called `forward` or `training` would replace them), the modules the
 * code imports, the helpers and constants model.py defines (a model called `build_model`
 * would make `build_model()` call itself), and Python's builtins (a class called `tuple`
 * would replace the one the helpers call).
 */
const TAKEN = new Set(
  (
    "T_destination add_module apply bfloat16 buffers children cpu cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state " +
    "get_parameter get_submodule half ipu load_state_dict modules named_buffers named_children named_modules named_parameters parameters " +
    "register_backward_hook register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook " +
    "register_load_state_dict_post_hook register_module register_parameter requires_grad_ set_extra_state share_memory state_dict to " +
    "to_empty train training type xpu zero_grad x self F nn torch math super print len range " +
    "avg_pool_exact max_pool_exact resize_bilinear_tf SeparableConv2d ChannelLayerNorm INPUT_SHAPE OUTPUT_SHAPE MODEL_NAME PARAMETERS build_model " +
    PYTHON_BUILTINS
  ).split(" "),
);

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A Python identifier for a source name: the name itself where that is safe, otherwise a changed one. */
export function pythonIdentifier(name: string): string {
  let safe = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (!IDENTIFIER.test(safe)) safe = `layer_${safe.replace(/^_+/, "")}`;
  if (KEYWORDS.has(safe) || TAKEN.has(safe)) safe = `${safe}_`;
  return safe;
}

/** Gives every name a distinct identifier, in order, appending a number where two would meet. */
export class IdentifierPool {
  private readonly used = new Set<string>();

  take(name: string): string {
    const base = pythonIdentifier(name);
    let candidate = base;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${base}_${n}`;
    this.used.add(candidate);
    return candidate;
  }
}

/** Comment lines that list the source names a module writes differently (`conv_1` → `conv_1_2`), or none. */
export function renamingComment(renamed: readonly { name: string; identifier: string; what: string }[], language: "Python" | "TypeScript"): string[] {
  const changed = renamed.filter((r) => r.name !== r.identifier);
  if (changed.length === 0) return [];
  const marker = language === "Python" ? "#" : "//";
  // Source names are identifiers, so they are safe in a comment as they are.
  return [`${marker} Names that are taken in ${language} are written differently here:`, ...changed.map((r) => `${marker}   ${r.what} \`${r.name}\` is \`${r.identifier}\``)];
}

/** A Python string literal holding exactly `text`, printable ASCII only. */
export function pyString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code === 0x0a) out += "\\n";
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return out + '"';
}

/** Comment lines for free text: each line becomes its own `#` comment, printable ASCII only. */
export function pyComment(text: string, indent = ""): string[] {
  return text.split(/\r\n|[\n\r\u2028\u2029\u0085\u000b\u000c\u001c-\u001e]/).map((line) => `${indent}# ${pyString(line).slice(1, -1)}`.trimEnd());
}

/** A Python number literal; numbers in the IR are finite. */
export function pyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as a Python number`);
  return String(value);
}

export function pyFloat(value: number): string {
  const text = pyNumber(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${pyNumber(values[0]!)},)` : `(${values.map(pyNumber).join(", ")})`;
}

/** A Python literal for plain data (numbers, strings, booleans, null, lists, objects). */
export function pyLiteral(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "string") return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(", ")}]`;
  if (typeof value === "object") return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k)}: ${pyLiteral(v)}`).join(", ")}}`;
  throw new Error(`cannot write ${typeof value} as a Python literal`);
}
