import type { ApiError, RunState, ValidationDetail } from "../bindings";
import { STATE_LABELS } from "../format";
import { detailText } from "../messages";

/** A backend command that answered with an error: carries the typed `ApiError`. */
export class ApiFailure extends Error {
  readonly api: ApiError;

  constructor(api: ApiError) {
    super(api.message || api.error);
    this.name = "ApiFailure";
    this.api = api;
  }

  get details(): ValidationDetail[] {
    return this.api.kind === "validation" ? this.api.details : [];
  }
}

/**
 * Turns anything thrown by an api call into one plain sentence for people (or a few, one
 * per problem): validation details in words, no "invalid input:" prefix, no engine words
 * such as `awaiting_input`. The engine's code stays on `ApiFailure.api` for support.
 */
export function errorText(e: unknown): string {
  if (e instanceof ApiFailure) return apiErrorText(e.api);
  if (e instanceof Error) return plain(e.message);
  return plain(String(e));
}

function apiErrorText(a: ApiError): string {
  if (a.kind === "validation" && a.details.length === 1) return detailText(a.details[0]);
  if (a.kind === "validation" && a.details.length > 1) {
    // Several problems: each names its field, and a repeated one is said once.
    return [...new Set(a.details.map((d) => `${fieldWords(d.field)}: ${detailText(d)}`))].join(" ");
  }
  if (a.kind === "conflict" && a.error === "illegal_transition" && a.current_state) {
    return `the run has moved on: it is ${STATE_LABELS[a.current_state].toLowerCase()} now`;
  }
  return plain(a.message || a.error.replace(/_/g, " "));
}

/** `permissions[2].action` -> "Permissions 3 action". */
function fieldWords(field: string): string {
  const w = field
    .replace(/\[(\d+)\]/g, (_, n: string) => ` ${Number(n) + 1}`)
    .replace(/[._]/g, " ")
    .trim();
  return w.charAt(0).toUpperCase() + w.slice(1);
}

// The prefix the engine puts before a validation summary.
const PREFIX = /^invalid (input|automation):\s*/i;

const STATES = new Set<string>(Object.keys(STATE_LABELS));

/**
 * An engine message without its "invalid input:" prefix and with its state names
 * (`awaiting_input`) in words. Left lower-case: callers write "Could not save: …".
 */
function plain(message: string): string {
  return message
    .replace(PREFIX, "")
    .replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (w) => (STATES.has(w) ? STATE_LABELS[w as RunState].toLowerCase() : w))
    .trim();
}
