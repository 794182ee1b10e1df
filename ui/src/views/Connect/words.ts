// Provider statuses, key storage and connection tests in plain words, shared by the
// "Connect a model" step, Settings -> Providers and the model picker.
import type { ConnectionTest, KeyStorage, ProviderStatus } from "../../api";

/** The short label of a provider's state: "Ready", "Needs a key", "Key file not private"… */
export function statusLabel(s: ProviderStatus): string {
  if (s.ready) return "Ready";
  switch (s.problem?.code) {
    case "key_file_exposed":
      return "Key file not private";
    case "key_file_missing":
      return "Key file missing";
    case "key_file_unreadable":
      return "Key file unreadable";
    case "keychain_unavailable":
      return "Keychain unavailable";
    case "not_set_up":
      return "Not set up";
    default:
      return "Needs a key";
  }
}

/** Where the key a provider uses comes from, for a line under its name. */
export function keySourceText(s: ProviderStatus): string {
  switch (s.key) {
    case "keychain":
      return "Key in the system keychain";
    case "file":
      return `Key in ${s.config.api_key_file ?? "a key file"}, readable only by you`;
    case "env":
      return `Key from $${s.config.api_key_env ?? ""}`;
    case "not_needed":
      return "No key needed";
    case "missing":
      return s.config.api_key_env ? `No key stored; $${s.config.api_key_env} is not set` : "No key stored";
  }
}

/**
 * The provider's problem, said where it is shown. The engine's words send the user to
 * "Settings -> Providers", which reads oddly on that very page (`settings`: the row's own
 * "Add API key" button is the way) and in the Connect step (`connect`: the key field is below).
 */
export function problemText(s: ProviderStatus, where: "settings" | "connect"): string {
  const problem = s.problem;
  if (!problem) return "";
  if (problem.code !== "no_key") return problem.message;
  const env = s.config.api_key_env ? ` or set $${s.config.api_key_env}` : "";
  return where === "settings"
    ? `No API key yet: add one with “Add API key”${env}.`
    : `No API key yet: paste one below${env}.`;
}

/** Whether the provider has a key Autowork stores (and can forget). */
export function hasStoredKey(s: ProviderStatus): boolean {
  return !!s.config.api_key_in_keychain || !!s.config.api_key_file;
}

/** Whether the provider takes a key at all (local servers do not). */
export function takesKey(s: ProviderStatus): boolean {
  return !!s.config.api_key_env || hasStoredKey(s) || s.config.kind === "anthropic";
}

/** Where a saved key went, as one sentence. */
export function storageNote(storage: KeyStorage): string {
  if (storage.kind === "keychain") return "Saved in the system keychain.";
  return `${storage.reason}, so the key is saved in ${storage.path}, readable only by you.`;
}

/** A connection test's outcome as one sentence. */
export function testText(result: ConnectionTest): string {
  if (result.kind === "ok") {
    return `Connected: ${result.models} ${result.models === 1 ? "model" : "models"} available.`;
  }
  return result.message;
}
