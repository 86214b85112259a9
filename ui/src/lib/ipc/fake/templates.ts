/**
 * The fake's template commands: the templates the core lists, their preview, sending one, and
 * uploading a header's picture or PDF (whose media id the sent message then carries).
 */
import type { FilledValue } from "../bindings/FilledValue";
import type { Template } from "../bindings/Template";
import type { TemplateFile } from "../bindings/TemplateFile";
import { dayAfter, documentMime, fakeRules } from "../fake-rules";
import { fakePreview } from "../fake-seed";
import type { Ipc } from "../ipc";
import { mediaHeader } from "../../template/variables";
import { uuid, type FakeWorld } from "./world";

export function templateCommands(
  world: FakeWorld,
): Pick<
  Ipc,
  | "listTemplates"
  | "previewTemplate"
  | "sendTemplate"
  | "uploadHeaderPicture"
  | "uploadHeaderDocument"
> {
  const { fake, options } = world;

  function template(name: string, language: string): Template {
    const found = fake.templates.find((t) => t.name === name && t.language === language);
    if (!found) throw { code: "not_found", message: "This template is no longer available." };
    return found;
  }

  /** The header's file as the core stores it on the sent message: the attached picture or
   * the link given. */
  function headerFile(chosen: Template, values: FilledValue[]): TemplateFile | null {
    const header = mediaHeader(chosen.header);
    if (!header) return null;
    const value = values.find((v) => v.part === "header" && v.key === "media")?.value.trim() ?? "";
    const kind = header.format.toLowerCase() as TemplateFile["kind"];
    return world.uploadedHeaders.has(value)
      ? { kind, media_id: value, link: null }
      : { kind, media_id: null, link: value };
  }

  return {
    async listTemplates() {
      world.record("listTemplates");
      // Like the core: approved and paused ones (a paused one shows, but cannot be sent).
      return fake.templates
        .filter((t) => t.status === "APPROVED" || t.status === "PAUSED")
        .map((t) => structuredClone(t));
    },
    async previewTemplate(name, language, values) {
      world.record("previewTemplate", name, language, values);
      return fakePreview(template(name, language), values);
    },
    async sendTemplate(threadId, name, language, values) {
      world.record("sendTemplate", threadId, name, language, values);
      const thread = world.find(threadId);
      world.refuseUnless(thread.template);
      const chosen = template(name, language);
      if (chosen.status !== "APPROVED")
        throw {
          code: "template_not_approved",
          message: "This template is paused by WhatsApp and cannot be sent now.",
        };
      const preview = fakePreview(chosen, values);
      if (!preview.ready)
        throw {
          code: "invalid_template_values",
          message: preview.problems.map((p) => p.message).join(" "),
        };
      const message = world.outbound(threadId, {
        type: "template",
        name,
        language,
        text: preview.text,
        components: [],
        header: headerFile(chosen, values),
        buttons: chosen.buttons.map((b) => (b.type === "COPY_CODE" ? "Copy offer code" : b.text)),
      });
      // F9: a template restarts the conversation window.
      world.openWindows.add(threadId);
      Object.assign(thread, fakeRules(thread.consent, true, dayAfter(message.created_at)));
      world.touch(thread, preview.text, message.created_at);
      if (options.autoProgress) world.progress(message);
      return structuredClone(message);
    },
    async uploadHeaderPicture(photoId) {
      world.record("uploadHeaderPicture", photoId);
      if (!world.preparedPhotos.has(photoId))
        throw { code: "not_found", message: "That picture no longer exists." };
      const mediaId = uuid();
      world.uploadedHeaders.add(mediaId);
      return mediaId;
    },
    async uploadHeaderDocument(preparedId, filename) {
      world.record("uploadHeaderDocument", preparedId, filename);
      // Like the core: Meta takes only a PDF in a template's header, by the file's name.
      if (documentMime(filename.trim()) !== "application/pdf")
        throw { code: "not_a_document", message: "A template's document must be a PDF." };
      if (!world.preparedDocuments.has(preparedId))
        throw { code: "not_found", message: "That document no longer exists." };
      const mediaId = uuid();
      world.uploadedHeaders.add(mediaId);
      return mediaId;
    },
  };
}
