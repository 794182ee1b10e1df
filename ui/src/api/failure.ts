import type { ApiError, ValidationDetail } from "../bindings";

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

/** Turns anything thrown by an api call into a sentence for people. */
export function errorText(e: unknown): string {
  if (e instanceof ApiFailure) {
    const hints = e.details.map((d) => d.hint).filter(Boolean);
    return hints.length ? `${e.message} (${hints.join("; ")})` : e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
