import type { Run, ValidationDetail } from "./api";

type RunError = NonNullable<Run["error"]>;
type ErrorCode = RunError["code"];
type StopReason = NonNullable<Run["stop_reason"]>;

// Sentences for the engine's machine-readable validation messages; unknown ones fall back
// to the code in words, plus the hint the engine sends.
const MESSAGES: Record<string, string> = {
  required: "Required.",
  title_too_long_160: "The title is too long: 160 characters at most.",
  prompt_too_long_20000: "The prompt is too long: 20,000 characters at most.",
  invalid_cron_expression: "Not a valid cron expression (five fields: minute hour day month weekday).",
  invalid_timezone: "Not a known time zone (use an IANA name such as Europe/Berlin).",
  interval_below_minimum_30000ms: "The interval must be at least 30 seconds.",
  fire_at_must_be_future: "The time must be in the future.",
  unknown_model: "This model is not in the catalog; add it under Settings → Providers.",
  workspace_not_found: "This directory does not exist.",
  workspace_not_absolute: "Use an absolute path.",
  unsupported_field: "This field is not supported.",
  read_only_field: "The engine sets this field.",
  invalid_schedule: "This schedule cannot be computed.",
  command_words_1_32: "Type the command: 1 to 32 words.",
  word_length_1_1000: "Each word: 1 to 1,000 characters.",
  pattern_length_1_1000: "Type a pattern: 1 to 1,000 characters.",
  reason_too_long_500: "The reason is too long: 500 characters at most.",
  too_many_examples_20: "At most 20 examples.",
  example_not_matched: "Must match, but does not.",
  example_matched: "Must not match, but does.",
  path_not_absolute: "Not an absolute path.",
  path_not_found: "Not found.",
  path_too_broad: "Too broad.",
  too_many_paths_32: "At most 32 paths.",
  limit_out_of_range_1_64: "Use a whole number from 1 to 64.",
  days_out_of_range_1_36500: "Use a whole number of days from 1 to 36,500.",
  below_keep_days: "Keep failed runs at least as long as finished ones.",
  not_a_postgres_url: "Not a PostgreSQL URL.",
  password_in_url: "Leave the password out of the URL.",
  tls_required: "A database on another machine needs TLS.",
  unreachable: "The server cannot be reached.",
  tls_refused: "The server does not offer TLS.",
  tls_failed: "The TLS handshake failed.",
  database_missing: "There is no such database.",
  not_allowed: "The server does not let this user in.",
  refused: "The server refused the connection.",
  password_missing: "The server asks for a password.",
  bad_password: "The server refused the password.",
  keychain_unavailable: "The password could not be saved in the keychain.",
  empty: "Required.",
};

export function detailText(d: ValidationDetail): string {
  const base = MESSAGES[d.message] ?? capitalize(d.message.replace(/_/g, " ")) + ".";
  if (!d.hint) return base;
  // Hints are phrases ("the rule does not match `x`"): make them a sentence of their own.
  const hint = sentence(d.hint);
  // A hint made from an error already in words (an errorText) says the base itself.
  return hint.startsWith(base) ? hint : `${base} ${hint}`;
}

/** Why a run failed, as the heading of its error. */
export const ERROR_TITLES: Record<ErrorCode, string> = {
  execution_failed: "The run could not go on",
  step_cap: "Stopped at the step cap",
  loop_gate: "Stopped: the model kept repeating itself",
  timeout: "Stopped at the time limit",
  budget_cap: "Stopped at the budget",
  provider_error: "The model provider failed",
  needs_user_input: "It needed an answer, but nobody was there",
  output_truncated: "The model's answer was cut off",
};

/** Why a run failed, in a few words beside its state. */
const ERROR_SHORT: Record<ErrorCode, string> = {
  execution_failed: "could not go on",
  step_cap: "step cap reached",
  loop_gate: "kept repeating itself",
  timeout: "time limit reached",
  budget_cap: "budget reached",
  provider_error: "provider failed",
  needs_user_input: "needed an answer",
  output_truncated: "answer cut off",
};

/** Why a run was stopped, as the end of "Stopped: …". */
export const STOP_REASONS: Record<StopReason, string> = {
  writer_busy: "the work area was busy",
  cancelled: "cancelled",
  deleted: "the automation was deleted",
  missed_schedule: "it missed its scheduled time",
  expired: "the app closed while it ran",
  blocker_lost: "the app closed while it waited for you",
};

/**
 * What a failed call to the model provider calls for: `setup` when the provider's settings
 * are the fix (a refused or missing key, an address nothing answers at, a provider that is
 * not configured), `transient` when running again is (rate limits, 5xx, timeouts, a cut
 * stream), null when neither is clear (say, a 400 for a prompt too long for the model).
 *
 * Read from the engine's words (`ProviderError` in crates/core/src/agent/provider.rs, and
 * `Turns::setup` in agent/turn.rs), the only place the run's error says which it was.
 */
export function providerFailure(error: RunError): "setup" | "transient" | null {
  const m = error.message.toLowerCase();
  if (error.code === "execution_failed") {
    // Before any model call: the provider is not configured, or its key cannot be read.
    return /^provider `[^`]*` is not configured|^no api key\b/.test(m) ? "setup" : null;
  }
  if (error.code !== "provider_error") return null;
  const status = /^the provider answered (\d{3})\b/.exec(m);
  if (status) {
    const code = Number(status[1]);
    if ([401, 403, 404, 407].includes(code)) return "setup";
    if ([408, 409, 425, 429].includes(code) || code >= 500) return "transient";
    return null;
  }
  if (/^no api key\b|has no usable api key/.test(m)) return "setup";
  if (m.startsWith("could not reach the provider")) {
    // Refused, a name that does not resolve, a bad certificate: the address. A timeout or a
    // reset connection: the network, for now.
    return /timed out|was reset|reset by peer/.test(m) ? "transient" : "setup";
  }
  // Retried until the time ran out: the address, if it was never reached; else it was slow.
  if (m.startsWith("the provider stalled")) return m.includes("the last: could not reach") ? "setup" : "transient";
  if (/^(the provider did not answer within|the stream ended before|the model's answer did not finish)/.test(m)) {
    return "transient";
  }
  return null;
}

/** Why a run ended, in a few words: its error or stop reason; null while it has neither. */
export function runReasonText(run: Pick<Run, "error" | "stop_reason">): string | null {
  if (run.error) return ERROR_SHORT[run.error.code] ?? words(run.error.code);
  if (run.stop_reason) return STOP_REASONS[run.stop_reason] ?? words(run.stop_reason);
  return null;
}

/**
 * The engine's message under its title, said once: a leading "needs user input:" that
 * repeats the code is dropped, and it reads as a sentence.
 */
export function runErrorMessage(code: ErrorCode, message: string): string {
  const prefix = `${words(code)}: `;
  const rest = message.toLowerCase().startsWith(prefix) ? message.slice(prefix.length) : message;
  return sentence(rest.trim());
}

/** `snake_case` engine words as plain words. */
export function words(code: string): string {
  return code.replace(/_/g, " ");
}

/** Starts with a capital and ends with a stop (unless it ends with one already). */
export function sentence(s: string): string {
  if (!s) return s;
  return capitalize(s) + (/[.!?)]$/.test(s) ? "" : ".");
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
