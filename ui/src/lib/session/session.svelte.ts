import type { Session } from "../ipc/bindings/Session";
import type { SyncState } from "../ipc/bindings/SyncState";
import type { Ipc } from "../ipc/ipc";

/** Who is signed in, to which organization, and whether the core reaches the connector. */
export class SessionStore {
  session = $state<Session | null>(null);
  sync = $state<SyncState>({ state: "connecting" });

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  /** F1: the organization setting; off means no WhatsApp icon anywhere. */
  get whatsappEnabled(): boolean {
    return this.session?.organization.whatsapp_enabled ?? false;
  }

  /** F22: the line has an SMS carrier: texts can be sent. */
  get smsEnabled(): boolean {
    return this.session?.organization.sms_enabled ?? false;
  }

  async load(): Promise<void> {
    const [session, sync] = await Promise.allSettled([this.ipc.getSession(), this.ipc.syncState()]);
    if (session.status === "fulfilled") this.session = session.value;
    else this.report(session.reason);
    if (sync.status === "fulfilled") this.sync = sync.value;
    else this.report(sync.reason);
  }
}
