import type { MediaId } from "../../ipc/bindings/MediaId";
import { findIpc } from "../../ipc/ipc";

/**
 * A message's file as a URL the view can show, fetched through the core (once; then from the
 * device) when the component is made and again when `id` changes; `null` until it is here
 * or when it cannot be had (the component shows its placeholder). Call during a component's
 * initialisation (it reads the Ipc from the context).
 */
export function mediaSource(id: () => MediaId): { readonly src: string | null } {
  const ipc = findIpc();
  let src = $state<string | null>(null);
  $effect(() => {
    if (!ipc) return;
    let live = true;
    ipc.getMedia(id()).then(
      (url) => {
        if (live) src = url;
      },
      () => {},
    );
    return () => {
      live = false;
    };
  });
  return {
    get src() {
      return src;
    },
  };
}
