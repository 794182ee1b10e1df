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
};

export function detailText(d: ValidationDetail): string {
  const base = MESSAGES[d.message] ?? capitalize(d.message.replace(/_/g, " ")) + ".";
  if (!d.hint) return base;
  // Hints are phrases ("the rule does not match `x`"): make them a sentence of their own.
  return `${base} ${capitalize(d.hint)}${/[.!?)]$/.test(d.hint) ? "" : "."}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
