import type { ThreadRow } from "../ipc/bindings/ThreadRow";

/** A thread's row alone: a summary (`thread_upserted`) also carries the open thread's rules
 * and participants, which 10,000 rows in the list should not keep. */
export function rowOf(t: ThreadRow): ThreadRow {
  return {
    id: t.id,
    channel: t.channel,
    contact_id: t.contact_id,
    contact_name: t.contact_name,
    guest_phone: t.guest_phone,
    status: t.status,
    last_message_preview: t.last_message_preview,
    last_message_at: t.last_message_at,
    unread_count: t.unread_count,
    free_until: t.free_until,
    opened_at: t.opened_at,
    participant_names: t.participant_names,
  };
}
