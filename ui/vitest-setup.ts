import "@testing-library/jest-dom/vitest";

// jsdom has no layout engine: give the message list a scroll API so auto-scroll can run.
if (!Element.prototype.scrollTo) {
  Element.prototype.scrollTo = function scrollTo() {};
}

// Nor scrolling an element into view (a quote's click), nor object URLs (media players).
if (!Element.prototype.scrollIntoView) {
  Element.prototype.scrollIntoView = function scrollIntoView() {};
}
if (!URL.createObjectURL) {
  let next = 0;
  URL.createObjectURL = () => `blob:test/${++next}`;
  URL.revokeObjectURL = () => {};
}
