/** "Maria Gonzalez" → "Maria"; a bare number stays whole. */
export function firstName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "" || /^\+?[\d\s()-]+$/.test(trimmed)) return trimmed;
  return trimmed.split(/\s+/)[0] ?? trimmed;
}
