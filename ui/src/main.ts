import { mount } from "svelte";
import App from "./App.svelte";
import { tauriIpc, type Ipc } from "./lib/ipc/ipc";
import { theme } from "./lib/settings/theme.svelte";
import "./app.css";

theme.init();

/** Inside Tauri: the real core. In a plain browser (dev, demo build): an in-memory fake. */
async function chooseIpc(): Promise<Ipc | null> {
  if ("__TAURI_INTERNALS__" in window) return tauriIpc;
  if (import.meta.env.DEV || import.meta.env.MODE === "demo") {
    const { createFakeIpc } = await import("./lib/ipc/fake");
    return createFakeIpc({ autoProgress: true });
  }
  return null;
}

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");

const ipc = await chooseIpc();
if (ipc) {
  const app = mount(App, { target, props: { ipc } });
  if (import.meta.env.DEV || import.meta.env.MODE === "demo") {
    // Demo deep links for screenshots: #thread=t-1, #contact=c-1, then optionally
    // &click=expand-button,menu-template (data-testids clicked in turn, the first match each),
    // &line-problem=<text> (the banner WhatsApp's report of a problem with the line shows).
    const params = new URLSearchParams(location.hash.slice(1));
    const thread = params.get("thread");
    const contact = params.get("contact");
    const lineProblem = params.get("line-problem");
    if (thread) app.state().openThread(thread);
    if (contact) app.state().openContact(contact);
    if (lineProblem) app.state().apply({ kind: "line_problem", text: lineProblem });
    const clicks = (params.get("click") ?? "").split(",").filter(Boolean);
    void (async () => {
      for (const testid of clicks) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        document.querySelector<HTMLElement>(`[data-testid="${testid}"]`)?.click();
      }
    })();
  }
} else {
  target.textContent = "MultiLine runs inside its desktop app.";
}
