/**
 * One typed function per Tauri event. With commands.ts, the only module allowed to import
 * `@tauri-apps/api`.
 */
import { listen } from "@tauri-apps/api/event";
import type { UiEvent } from "./bindings/UiEvent";

export type Unlisten = () => void;

/** The core emits "ui-event" after its cache changed; resolves once the listener is attached. */
export function onUiEvent(handler: (event: UiEvent) => void): Promise<Unlisten> {
  return listen<UiEvent>("ui-event", (event) => handler(event.payload));
}
