import type { ValidationDetail } from "./api";

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
};

export function detailText(d: ValidationDetail): string {
  const base = MESSAGES[d.message] ?? capitalize(d.message.replace(/_/g, " ")) + ".";
  return d.hint ? `${base} ${d.hint}` : base;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
