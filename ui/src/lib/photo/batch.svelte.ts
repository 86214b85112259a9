/**
 * Several pictures at once (issue 18): up to ten chosen in the Photo Library or dropped
 * together wait in a strip, each with its own caption, removable before sending. Send sends
 * them as separate messages, in the order shown, one after another (each then shows its own
 * upload progress on its bubble); one the core refuses does not stop the others and stays in
 * the strip, its error shown, for another try or removal.
 */
import type { PreparedPhoto } from "../ipc/bindings/PreparedPhoto";

/** How many pictures wait to be sent at once: WhatsApp's own pickers allow a few dozen; ten
 * keeps the strip readable and a batch's upload short. */
export const MAX_PHOTOS = 10;

/** Said when more were chosen than fit: `left` of them were not added. */
export function tooMany(left: number): string {
  return `Up to ${MAX_PHOTOS} pictures can be sent at once: ${left} of those chosen ${left === 1 ? "was" : "were"} left out.`;
}

export type BatchItem = { photo: PreparedPhoto; caption: string };

export class PhotoBatch {
  items = $state<BatchItem[]>([]);
  /** While files are being prepared: which one (1-based) of how many. */
  preparing = $state<{ current: number; total: number } | null>(null);
  sending = $state(false);

  /** How many more pictures fit, counting those being prepared. */
  get room(): number {
    const pending = this.preparing ? this.preparing.total - this.preparing.current + 1 : 0;
    return Math.max(0, MAX_PHOTOS - this.items.length - pending);
  }

  /** Prepares `files` one after another with `prepare` (the core's pipeline; null when it
   * refused, its error shown) and adds each as it is ready. Only as many as fit are taken;
   * returns how many of `files` were left out. */
  async add(
    files: readonly Blob[],
    prepare: (file: Blob) => Promise<PreparedPhoto | null>,
  ): Promise<number> {
    const taken = files.slice(0, this.room);
    for (const [i, file] of taken.entries()) {
      this.preparing = { current: i + 1, total: taken.length };
      const photo = await prepare(file);
      if (photo) this.items.push({ photo, caption: "" });
    }
    this.preparing = null;
    return files.length - taken.length;
  }

  remove(id: string) {
    this.items = this.items.filter((item) => item.photo.id !== id);
  }

  setCaption(id: string, caption: string) {
    const item = this.items.find((i) => i.photo.id === id);
    if (item) item.caption = caption;
  }

  /** Sends every picture in the order shown with `send` (resolves false when the core
   * refused it, its error shown). Those sent leave the strip; those refused stay. Returns
   * how many were sent. */
  async sendAll(
    send: (photo: PreparedPhoto, caption: string | null) => Promise<boolean>,
  ): Promise<number> {
    if (this.sending) return 0;
    this.sending = true;
    let sent = 0;
    try {
      for (const item of [...this.items]) {
        const caption = item.caption.trim();
        if (await send(item.photo, caption === "" ? null : caption)) {
          this.remove(item.photo.id);
          sent += 1;
        }
      }
    } finally {
      this.sending = false;
    }
    return sent;
  }
}
