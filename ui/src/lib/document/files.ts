/**
 * Documents out: which chosen, dropped or pasted files go to the document composer rather
 * than the photo one, and the one check made before a file is read. Whether a document may
 * be sent (its type, the thread's rules) is the core's answer to `send_document`.
 */

/** What the Expand menu's Document offers to choose (WhatsApp's document types). */
export const DOCUMENT_ACCEPT = ".pdf,.txt,.doc,.docx,.xls,.xlsx,.ppt,.pptx";

/** Meta's limit (the core's `MAX_WHATSAPP_DOCUMENT_BYTES`): a larger file is not read into
 * memory only to be refused. */
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024;

/** The core's words for a file over the limit (`document_too_large`). */
export const DOCUMENT_TOO_LARGE = "Documents can be at most 100 MB.";

/** What the Photo Library offers to choose: every format the core's photo pipeline reads
 * (HEIC, AVIF and GIF are converted to JPEG there); the extensions for systems that have no
 * type registered for HEIC or AVIF. */
export const PICTURE_ACCEPT =
  "image/jpeg,image/png,image/webp,image/gif,image/heic,image/heif,image/avif,.heic,.heif,.avif";

const PICTURE_EXTENSIONS = /\.(jpe?g|png|webp|gif|heic|heif|bmp|tiff?|avif)$/i;

/** A picture, by its type or (a type the system left blank) its name: it keeps the photo
 * flow; anything else is offered as a document. */
export function isPicture(file: File): boolean {
  return file.type.startsWith("image/") || PICTURE_EXTENSIONS.test(file.name);
}
