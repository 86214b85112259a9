/**
 * Light, dark, or as the system says. The choice lives in this device's localStorage (it is
 * how this screen looks, not an account setting); the tokens in app.css follow
 * `<html data-theme>`.
 */
export type ThemeChoice = "system" | "light" | "dark";

const KEY = "multiline.theme";

function stored(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

class Theme {
  choice = $state<ThemeChoice>("system");
  #media: MediaQueryList | null = null;

  /** Applies the stored choice and follows the system's changes. Call once, before mounting. */
  init(): void {
    this.choice = stored();
    this.#media = window.matchMedia?.("(prefers-color-scheme: dark)") ?? null;
    this.#media?.addEventListener("change", () => this.apply());
    this.apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === "system") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Private mode: the choice lasts for this run.
    }
    this.apply();
  }

  /** What is shown now. */
  get effective(): "light" | "dark" {
    if (this.choice !== "system") return this.choice;
    return this.#media?.matches ? "dark" : "light";
  }

  apply(): void {
    document.documentElement.dataset.theme = this.effective;
  }
}

export const theme = new Theme();
