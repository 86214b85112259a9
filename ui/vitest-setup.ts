import "@testing-library/jest-dom/vitest";

// jsdom has no layout engine: give the message list a scroll API so auto-scroll can run.
if (!Element.prototype.scrollTo) {
  Element.prototype.scrollTo = function scrollTo() {};
}
