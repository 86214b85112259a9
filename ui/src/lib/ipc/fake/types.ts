/**
 * The fake's options and the `FakeIpc` a test holds: an `Ipc` plus the data behind it, the
 * calls made, and hooks to push events and to make a command fail.
 */
import type { AccountState } from "../bindings/AccountState";
import type { AppError } from "../bindings/AppError";
import type { Contact } from "../bindings/Contact";
import type { Message } from "../bindings/Message";
import type { Session } from "../bindings/Session";
import type { SyncState } from "../bindings/SyncState";
import type { Template } from "../bindings/Template";
import type { ThreadSummary } from "../bindings/ThreadSummary";
import type { UiEvent } from "../bindings/UiEvent";
import type { Ipc } from "../ipc";

export type FakeOptions = {
  whatsappEnabled?: boolean;
  /** F22: the line has an SMS carrier (default true). */
  smsEnabled?: boolean;
  contacts?: Contact[];
  threads?: ThreadSummary[];
  messages?: Message[];
  templates?: Template[];
  sync?: SyncState;
  /** Browser demo: sends progress sending → sent → delivered → read, guests answer. */
  autoProgress?: boolean;
  now?: () => number;
  /** Start signed out (the sign-in screen). */
  signedOut?: boolean;
};

export type FakeIpc = Ipc & {
  contacts: Contact[];
  threads: ThreadSummary[];
  messages: Message[];
  templates: Template[];
  session: Session;
  account: AccountState;
  /** Every command called, in order, with its arguments. */
  calls: Array<{ command: string; args: unknown[] }>;
  /** Push an event to every listener, as the core does. */
  emit(event: UiEvent): void;
  /** Makes the next call of `command` reject with `error`. */
  failNext(command: keyof Ipc, error: AppError): void;
  /** While set, `preparePhoto` waits for it (tests watch the progress meanwhile). */
  photoGate: Promise<void> | null;
};

/** The fake's own fields beyond the `Ipc`: the state every command module reads and changes.
 * It is the very object `createFakeIpc` returns, so what a test assigns the commands see. */
export type FakeState = Omit<FakeIpc, keyof Ipc>;
