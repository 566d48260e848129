// Path arithmetic without node:path, so the front end runs in a browser too. Paths come out
// `/`-separated; a Windows path (`C:\nets\main.cnn`) is read with either separator and
// keeps its drive (`C:/nets/main.cnn`), which Windows' file functions accept.

const DRIVE = /^[A-Za-z]:\//;

/** The root a path starts from: `/`, a drive such as `C:/`, or none for a relative path. */
function rootOf(slashed: string): string {
  return slashed.startsWith("/") ? "/" : DRIVE.test(slashed) ? slashed.slice(0, 3) : "";
}

export function isAbsolute(path: string): boolean {
  return rootOf(path.replace(/\\/g, "/")) !== "";
}

/** `a/./b/../c` → `a/c`; keeps the root and any leading `..` of a relative path. */
function normalize(path: string): string {
  const slashed = path.replace(/\\/g, "/");
  const root = rootOf(slashed);
  const absolute = root !== "";
  const parts: string[] = [];
  for (const part of slashed.slice(root.length).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && (parts.length > 0 ? parts[parts.length - 1] !== ".." : absolute)) {
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  return absolute ? `${root}${joined}` : joined === "" ? "." : joined;
}

export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join("/"));
}

/** The absolute path of `path` seen from the absolute folder `from` (Node's `resolve(from, path)`). */
export function resolve(from: string, path: string): string {
  return normalize(isAbsolute(path) ? path : `${from}/${path}`);
}

export function dirname(path: string): string {
  const normal = normalize(path);
  const root = rootOf(normal);
  const slash = normal.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash < root.length ? root : normal.slice(0, slash);
}

export function basename(path: string): string {
  const normal = normalize(path);
  return normal.slice(normal.lastIndexOf("/") + 1);
}

export function extname(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot);
}

/** The path from absolute folder `from` to absolute `to`, with `..` where needed. */
export function relative(from: string, to: string): string {
  const a = normalize(from).split("/").filter((p) => p !== "");
  const b = normalize(to).split("/").filter((p) => p !== "");
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}
