/**
 * The fake's media commands: preparing and sending a picture or a document, the bytes of a
 * media id (a tiny stand-in per kind), and opening or saving media and opening links (which
 * the fake only records); the system's side too: the clock, desktop notifications.
 */
import { documentMime, MAX_DOCUMENT_BYTES } from "../fake-rules";
import type { Ipc } from "../ipc";
import type { FakeWorld } from "./world";

/** A 1x1 grey JPEG: what the fake shows for every picture. */
const FAKE_PICTURE =
  "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";

/** A silent WAV: the fake's voicemail recordings, voice notes and audio files. */
export const FAKE_RECORDING =
  "data:audio/wav;base64,UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** The fake's videos: no frames (a browser shows the player without a picture). */
const FAKE_VIDEO = "data:video/mp4;base64,";

/** The fake's stickers: a smiling face. */
const FAKE_STICKER = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="28" fill="#ffcc4d"/><circle cx="23" cy="26" r="4" fill="#664500"/><circle cx="41" cy="26" r="4" fill="#664500"/><path d="M20 38q12 12 24 0" stroke="#664500" stroke-width="4" fill="none" stroke-linecap="round"/></svg>',
)}`;

/** The fake's documents: a few bytes of text. */
const FAKE_DOCUMENT = "data:application/pdf;base64,JVBERi0xLjQKJSVFT0YK";

export function mediaCommands(
  world: FakeWorld,
): Pick<
  Ipc,
  | "preparePhoto"
  | "sendPicture"
  | "prepareDocument"
  | "sendDocument"
  | "getMedia"
  | "openMedia"
  | "saveMedia"
  | "openUrl"
  | "dial"
  | "clockNow"
  | "notify"
> {
  const { fake, options } = world;
  return {
    async preparePhoto(bytes) {
      world.record("preparePhoto", bytes.length);
      if (fake.photoGate) await fake.photoGate;
      // Like the core: the bytes decide, not a file name.
      const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
      const png = bytes[0] === 0x89 && bytes[1] === 0x50;
      if (!jpeg && !png)
        throw {
          code: "unsupported_image",
          message:
            "This file is not a picture that can be sent. Use a photo: JPEG, PNG, HEIC, WebP or GIF.",
        };
      const id = `p-${fake.calls.length}`;
      world.preparedPhotos.add(id);
      return { id, width: 1600, height: 1200, bytes: bytes.length, thumbnail: FAKE_PICTURE };
    },
    async sendPicture(threadId, preparedId, caption) {
      world.record("sendPicture", threadId, preparedId, caption);
      const thread = world.find(threadId);
      world.refuseUnless(thread.composer);
      if (!world.preparedPhotos.has(preparedId))
        throw { code: "not_found", message: "That picture no longer exists." };
      const message = world.outbound(threadId, {
        type: "picture",
        media_id: preparedId,
        caption,
        width: 1600,
        height: 1200,
      });
      world.touch(thread, caption ? `Photo: ${caption}` : "Photo", message.created_at);
      if (options.autoProgress) world.progress(message);
      return structuredClone(message);
    },
    async prepareDocument(bytes) {
      world.record("prepareDocument", bytes.length);
      if (bytes.length > MAX_DOCUMENT_BYTES)
        throw { code: "document_too_large", message: "Documents can be at most 100 MB." };
      if (bytes.length === 0) throw { code: "file_unreadable", message: "The file is empty." };
      // "doc-": the fake's `getMedia` answers its document for these.
      const id = `doc-${fake.calls.length}`;
      world.preparedDocuments.set(id, bytes.length);
      return { id, bytes: bytes.length };
    },
    async sendDocument(threadId, preparedId, filename, caption) {
      world.record("sendDocument", threadId, preparedId, filename, caption);
      const size = world.preparedDocuments.get(preparedId);
      if (size === undefined)
        throw { code: "not_found", message: "That document no longer exists." };
      const name = filename.trim();
      const mime = documentMime(name);
      if (mime === null)
        throw {
          code: "not_a_document",
          message: "Send documents as PDF, Word, Excel, PowerPoint or text files.",
        };
      const thread = world.find(threadId);
      world.refuseUnless(thread.composer);
      if (thread.channel === "sms")
        throw {
          code: "mms_unsupported",
          message: "Pictures and files can't be sent by SMS yet; send them on WhatsApp.",
        };
      const message = world.outbound(threadId, {
        type: "document",
        media_id: preparedId,
        mime_type: mime,
        size,
        filename: name,
        caption,
      });
      world.touch(thread, `Document: ${name}`, message.created_at);
      if (options.autoProgress) world.progress(message);
      return structuredClone(message);
    },
    async getMedia(mediaId) {
      world.record("getMedia", mediaId);
      if (mediaId.startsWith("vm-") || mediaId.startsWith("au-")) return FAKE_RECORDING;
      if (mediaId.startsWith("vd-")) return FAKE_VIDEO;
      if (mediaId.startsWith("doc-")) return FAKE_DOCUMENT;
      if (mediaId.startsWith("st-")) return FAKE_STICKER;
      return FAKE_PICTURE;
    },
    async openMedia(mediaId, filename) {
      world.record("openMedia", mediaId, filename);
    },
    async saveMedia(mediaId, filename) {
      world.record("saveMedia", mediaId, filename);
      return true;
    },
    async openUrl(url) {
      world.record("openUrl", url);
    },
    async dial(number) {
      world.record("dial", number);
    },
    async clockNow() {
      world.record("clockNow");
      return world.iso();
    },
    async notify(title, body) {
      world.record("notify", title, body);
    },
  };
}
