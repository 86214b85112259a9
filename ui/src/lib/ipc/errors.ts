import type { AppError } from "./bindings/AppError";

const FALLBACK: AppError = {
  code: "unknown",
  message: "Something went wrong. Please try again.",
};

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/**
 * Normalises whatever a command rejected with into an `AppError`. Tauri itself rejects with a
 * plain string for its own failures (unknown command, bad arguments); those are logged, and the
 * user sees a sentence, never a raw payload.
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  console.error("IPC failure", error);
  if (
    typeof error === "string" &&
    error.length > 0 &&
    error.length < 200 &&
    !/[{}[\]]/.test(error)
  ) {
    return { code: "ipc", message: error };
  }
  return FALLBACK;
}
