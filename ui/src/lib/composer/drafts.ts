/** Unsent text per thread, so switching conversations never loses what was typed. */
const drafts = new Map<string, string>();

export function loadDraft(threadId: string): string {
  return drafts.get(threadId) ?? "";
}

export function saveDraft(threadId: string, text: string): void {
  if (text === "") drafts.delete(threadId);
  else drafts.set(threadId, text);
}
