/**
 * The fake's message search: every word of the query as a word prefix (case and accents
 * ignored), newest first, grouped by conversation, with the matches marked in the snippet
 * as the core marks them (U+E000 … U+E001).
 */
import type { Message } from "../bindings/Message";
import type { SearchGroup } from "../bindings/SearchGroup";
import type { Ipc } from "../ipc";
import { rowOf } from "../../thread/row";
import type { FakeWorld } from "./world";

const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

function textOf(m: Message): string | null {
  return "text" in m.body && typeof m.body.text === "string" ? m.body.text : null;
}

/** `text` with each word that starts with one of `prefixes` marked; null if a prefix has no
 * word. */
function marked(text: string, prefixes: string[]): string | null {
  const found = new Set<string>();
  const out = text.replace(/[\p{L}\p{N}]+/gu, (word) => {
    const prefix = prefixes.find((p) => fold(word).startsWith(p));
    if (!prefix) return word;
    found.add(prefix);
    return `\u{E000}${word}\u{E001}`;
  });
  return prefixes.every((p) => found.has(p)) ? out : null;
}

export function searchCommands(world: FakeWorld): Pick<Ipc, "searchMessages"> {
  const { fake } = world;
  return {
    async searchMessages(query, threadId, limit) {
      world.record("searchMessages", query, threadId, limit);
      const prefixes = fold(query).match(/[\p{L}\p{N}]+/gu) ?? [];
      if (prefixes.length === 0) return [];
      const groups: SearchGroup[] = [];
      const newest = [...fake.messages].sort(
        (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at),
      );
      let count = 0;
      for (const message of newest) {
        if (count >= limit) break;
        if (threadId !== null && message.thread_id !== threadId) continue;
        const text = textOf(message);
        const snippet = text === null ? null : marked(text, prefixes);
        if (snippet === null) continue;
        const thread = fake.threads.find((t) => t.id === message.thread_id);
        if (!thread) continue;
        count += 1;
        const hit = {
          message_id: message.id,
          thread_id: message.thread_id,
          direction: message.direction,
          created_at: message.created_at,
          snippet,
        };
        const group = groups.find((g) => g.thread.id === thread.id);
        if (group) group.hits.push(hit);
        else groups.push({ thread: rowOf(thread), hits: [hit] });
      }
      return groups;
    },
  };
}
