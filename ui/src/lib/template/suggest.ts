/**
 * A draft stranded by the window's end, turned into a template: the approved template whose
 * words are closest to the draft's, with the values the app can fill (the guest's first name
 * where the template greets someone). The core still checks every value before sending.
 */
import type { Template } from "../ipc/bindings/Template";
import { firstName } from "../consent/names";
import { fieldId, fields } from "./variables";

/** Words too common to say what a message is about. */
const COMMON = new Set(
  (
    "the and you your yours for are with this that our will can have has was were from not " +
    "but all any its his her him she they them their there here what when who how why just " +
    "about into out over also been being would could should may might must than then now " +
    "hello dear thanks thank please"
  ).split(" "),
);

/** The words of `text` that say something: lower case, three letters or more, not common. */
export function words(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (word.length >= 3 && !COMMON.has(word)) out.add(word);
  }
  return out;
}

/** A greeting's name slot: "Hi {{1}}", "Hello {{first_name}}", "Dear {{customer}}". */
const GREETING =
  /^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\s*\{\{\s*([^{}]+?)\s*\}\}/i;
/** A named variable that is the guest's name. */
const NAME_KEY = /^(?:first_?name|name|customer(?:_?name)?|guest(?:_?name)?|client(?:_?name)?)$/i;

export type Suggestion = {
  template: Template;
  /** Values the app could fill, by `fieldId` ("body:1"). */
  values: Record<string, string>;
};

/**
 * The approved template closest to `draft` by the words they share (the share of the
 * draft's words the template has; ties: the shorter template), or null when none shares a
 * word. `optInTemplate` (the consent request) is never offered.
 */
export function suggestTemplate(
  draft: string,
  templates: Template[],
  guestName: string,
  optInTemplate: string | null = null,
): Suggestion | null {
  const wanted = words(draft);
  if (wanted.size === 0) return null;
  let best: { template: Template; score: number } | null = null;
  for (const template of templates) {
    if (template.status !== "APPROVED" || template.name === optInTemplate) continue;
    const have = words(`${template.name.replace(/_/g, " ")} ${template.body}`);
    let shared = 0;
    for (const word of wanted) if (have.has(word)) shared += 1;
    if (shared === 0) continue;
    const score = shared / wanted.size;
    if (
      !best ||
      score > best.score ||
      (score === best.score && template.body.length < best.template.body.length)
    ) {
      best = { template, score };
    }
  }
  if (!best) return null;
  return { template: best.template, values: fillable(best.template, guestName) };
}

/** The values the app knows: the guest's first name for a greeting's or a name's slot. */
function fillable(template: Template, guestName: string): Record<string, string> {
  const name = firstName(guestName);
  const values: Record<string, string> = {};
  // A guest known only by their number has no name to greet.
  if (name === "" || /^\+?[\d\s()-]+$/.test(name)) return values;
  const greeted = GREETING.exec(template.body)?.[1];
  for (const field of fields(template)) {
    if (field.part !== "body") continue;
    if (field.key === greeted || NAME_KEY.test(field.key))
      values[fieldId("body", field.key)] = name;
  }
  return values;
}
