// The little Markdown the language server's hovers and completion docs use: paragraphs,
// fenced code blocks, `code`, **bold**, *emphasis* and "- " lists, drawn as DOM nodes
// (never as HTML text, so nothing in a model's doc comment can inject markup).

function inline(parent: HTMLElement, text: string): void {
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parent.append(text.slice(last, match.index));
    const [tag, content] = match[1] !== undefined ? ["code", match[1]] : match[2] !== undefined ? ["strong", match[2]] : ["em", match[3]!];
    const element = document.createElement(tag);
    element.textContent = content;
    parent.append(element);
    last = match.index + match[0].length;
  }
  parent.append(text.slice(last));
}

export function renderMarkdown(markdown: string): HTMLElement {
  const root = document.createElement("div");
  root.className = "markdown";
  const lines = markdown.split("\n");
  let paragraph: string[] = [];
  let list: HTMLUListElement | undefined;
  const flush = (): void => {
    if (paragraph.length > 0) {
      const p = document.createElement("p");
      inline(p, paragraph.join(" "));
      root.append(p);
      paragraph = [];
    }
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("```")) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) code.push(lines[i]!);
      const pre = document.createElement("pre");
      pre.textContent = code.join("\n");
      root.append(pre);
    } else if (/^\s*[-*] /.test(line)) {
      if (paragraph.length > 0) flush();
      if (list === undefined) root.append((list = document.createElement("ul")));
      const item = document.createElement("li");
      inline(item, line.replace(/^\s*[-*] /, ""));
      list.append(item);
    } else if (line.trim() === "" || /^-{3,}$/.test(line.trim())) flush();
    else paragraph.push(line);
  }
  flush();
  return root;
}
