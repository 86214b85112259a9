/**
 * Phone numbers as people read them: "+1 202 555 0147", "+44 7911 123456", grouped as their
 * country writes them (libphonenumber's metadata). Numbers cross the IPC in E.164; only what
 * is shown is formatted. Generic: no domain imports.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/min";

/** `e164` grouped for its country, international form; as given when it cannot be read. */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** A name as shown: a guest known only by their number (the connector names them by it)
 * reads as a formatted number. */
export function displayName(name: string): string {
  return /^\+\d{6,15}$/.test(name) ? formatPhone(name) : name;
}
