/**
 * The attachment composers' keys (a photo's caption, a document's): Enter sends (not with
 * Shift, not while an input method is composing), Escape cancels.
 */
export function sendOrCancelKeys(
  onsend: () => void,
  oncancel: () => void,
): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      onsend();
    } else if (event.key === "Escape") {
      event.preventDefault();
      oncancel();
    }
  };
}
