/** A search hit's snippet as parts to draw: the core marks each match between U+E000 and
 * U+E001. */
export type SnippetPart = { text: string; match: boolean };

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let text = "";
  for (const ch of snippet) {
    if (ch === "\u{E000}" || ch === "\u{E001}") {
      if (text !== "") parts.push({ text, match });
      text = "";
      match = ch === "\u{E000}";
    } else {
      text += ch;
    }
  }
  if (text !== "") parts.push({ text, match });
  return parts;
}
