/**
 * `data-testid` values. testids.json is the one source: the Rust end-to-end tests read the same
 * file, so a renamed id breaks both sides at once.
 */
import ids from "./testids.json";

export type TestIdKey = keyof typeof ids;
export const testIds: Readonly<Record<TestIdKey, string>> = Object.freeze(ids);
export default testIds;
