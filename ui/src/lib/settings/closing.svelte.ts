/**
 * "Closing soon": how long before a conversation's free messaging ends it moves to the top of
 * Messages, and whether a desktop notification says so. This device's choice (localStorage),
 * like the theme.
 */
const KEY = "multiline.closingSoon";

/** The choices Settings offers, in minutes. */
export const CLOSING_SOON_CHOICES = [15, 30, 60, 120, 240] as const;
export const DEFAULT_CLOSING_SOON_MINUTES = 60;

type Stored = { minutes: number; notify: boolean };

function stored(): Stored {
  const fallback = { minutes: DEFAULT_CLOSING_SOON_MINUTES, notify: true };
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "null") as Partial<Stored> | null;
    const minutes = CLOSING_SOON_CHOICES.find((m) => m === value?.minutes) ?? fallback.minutes;
    return { minutes, notify: value?.notify !== false };
  } catch {
    return fallback;
  }
}

class ClosingSoon {
  minutes = $state(DEFAULT_CLOSING_SOON_MINUTES);
  notify = $state(true);

  constructor() {
    const { minutes, notify } = stored();
    this.minutes = minutes;
    this.notify = notify;
  }

  get withinMs(): number {
    return this.minutes * 60_000;
  }

  set(choice: Partial<Stored>): void {
    if (choice.minutes !== undefined) this.minutes = choice.minutes;
    if (choice.notify !== undefined) this.notify = choice.notify;
    try {
      localStorage.setItem(KEY, JSON.stringify({ minutes: this.minutes, notify: this.notify }));
    } catch {
      // Private mode: the choice lasts for this run.
    }
  }
}

export const closingSoonSetting = new ClosingSoon();
