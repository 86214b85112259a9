/**
 * Moves an element to the end of `<body>` while it is shown: overlays (a picture full size)
 * then sit outside the lists they were opened from, so no live region announces them and
 * no ancestor clips them.
 */
export function portal(node: HTMLElement): { destroy(): void } {
  document.body.appendChild(node);
  return {
    destroy() {
      node.remove();
    },
  };
}
