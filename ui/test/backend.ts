// A fake backend for component tests: Tauri's IPC mock with fixtures and a call log.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { act } from "@testing-library/react";
import type {
  ApiError,
  Automation,
  EventRecord,
  GcRemoval,
  GcReport,
  Inbox,
  InboxItem,
  PermissionRule,
  Run,
  RunChanges,
  WorktreeChanges,
} from "../src/bindings";
import type { PermissionRuleInput } from "../src/api";

export type Handler = (args: Record<string, unknown>) => unknown;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

const defaults: Record<string, Handler> = {
  list_automations: () => [],
  list_runs: () => ({ runs: [], next_cursor: null }),
  inbox: () => [],
  mark_seen: () => 0,
  set_focused_run: () => null,
  list_models: () => [
    { provider_id: "mock", model_id: "coder", display_name: "Mock coder", variants: [] },
    { provider_id: "mock", model_id: "thinker", variants: ["low", "high"] },
  ],
  get_settings: () => ({
    notifications: true,
    default_model: { provider_id: "mock", model_id: "coder" },
    default_step_cap: 40,
    tray_hint_shown: false,
  }),
  preview_schedule: () => ({ fires: ["2030-01-01T02:00:00Z"], description: "Every day at 02:00 (UTC)" }),
  get_autostart: () => false,
  // Runs recorded before change review have no changes: most tests need nothing more.
  get_run_changes: () => null,
  get_run_thread: () => [],
  apply_run: () => ({ kind: "applied", commit: "c0ffee0123456789", files: ["src/lib.rs"] }),
  discard_run: (a) =>
    changes({ run_id: a.runId as string, worktree: worktreeChanges({ review: "discarded" }) }),
  // Only crashed runs keep originals; only writer_busy runs have a holder.
  get_run_originals: () => [],
  restore_run_originals: () => [],
  get_work_area_holder: () => null,
  inbox_view: () => inboxOf([]),
  mark_all_seen: () => 0,
  // Cancelled; a folder typed in the editor is a git repository's root.
  pick_folder: () => null,
  describe_folder: (a) => ({ path: a.path, exists: true, is_dir: true, git_root: a.path }),
  // The Runs view's pages, the Overview's figures, Pause all: nothing by default.
  query_runs: () => ({ runs: [], next_cursor: null }),
  run_stats: () => ({ days: [], runs: 0, succeeded: 0, failed: 0, cost_usd: 0, success_rate: null }),
  upcoming_fires: () => ({ fires: [], truncated: false }),
  pause_all_schedules: () => 0,
  // The run queue: the default limit, nothing queued; a stored limit comes back as sent.
  queue_limits: () => ({ max_concurrent_runs: 4, per_provider: {} }),
  set_queue_limits: (a) => a.limits,
  queue_view: () => ({
    limits: { max_concurrent_runs: 4, per_provider: {} },
    running: 0,
    running_by_provider: {},
    total_queued: 0,
    queued: [],
  }),
  queue_place: () => null,
  // The ledger on this computer, as the app was started.
  get_store: () => ({ url: null, in_use: null, password: null, unreachable: null }),
  // The database is reached; Retry now does nothing to see.
  store_health: () => ({ state: "connected" }),
  retry_store: () => null,
  // Retention: runs kept forever, so a clean-up finds nothing; a stored policy comes back as sent.
  get_retention: () => ({ keep_days: null, keep_failed_days: null }),
  set_retention: (a) => a.policy,
  gc_preview: () => gcReport(),
  gc_now: (a) => gcReport({ dry_run: false, as_of: (a.asOf as string | null) ?? "2030-01-01T00:00:00Z" }),
};

/**
 * A clean-up's report: a dry run that removes nothing under the keep-forever policy, unless
 * `over` (and `removed`, merged into the counts) says otherwise. A real one (`dry_run` false)
 * measures the database after, as the engine does.
 */
export function gcReport(over: Partial<GcReport> = {}, removed: Partial<GcRemoval> = {}): GcReport {
  const dryRun = over.dry_run ?? true;
  return {
    dry_run: dryRun,
    as_of: "2030-01-01T00:00:00Z",
    policy: { keep_days: null, keep_failed_days: null },
    cutoff: null,
    failed_cutoff: null,
    removed: {
      runs: 0,
      succeeded: 0,
      failed: 0,
      stopped: 0,
      run_ids: [],
      messages: 0,
      parts: 0,
      sessions: 0,
      changes: 0,
      blocker_replies: 0,
      originals_dirs: 0,
      ...removed,
    },
    database: { bytes_before: 1_048_576, bytes_after: dryRun ? null : 1_048_576, compaction: "none" },
    ...over,
  };
}

/** Installs the fake backend; `handlers` override the defaults. Returns the call log. */
export function mockBackend(handlers: Record<string, Handler> = {}): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const handler = handlers[cmd] ?? defaults[cmd];
      if (!handler) throw apiError({ kind: "internal", error: "unmocked", message: `no mock for ${cmd}` });
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** Tauri rejects a failed command with the serialized error value; the bindings wrap it. */
export function apiError(e: ApiError): ApiError {
  return e;
}

export function callsOf(calls: Call[], cmd: string): Record<string, unknown>[] {
  return calls.filter((c) => c.cmd === cmd).map((c) => c.args);
}

let seq = 1;
export async function emitEngine(record: Omit<EventRecord, "seq" | "at">): Promise<void> {
  await act(async () => {
    await emit("engine-event", { ...record, seq: seq++, at: "2030-01-01T00:00:00Z" });
  });
}

/** Stored rules as the engine sends them: `exact` and `examples` left out when default. */
export function rules(...list: PermissionRuleInput[]): PermissionRule[] {
  return list as PermissionRule[];
}

export function automation(over: Partial<Automation> = {}): Automation {
  return {
    id: "aut_1",
    title: "Nightly tests",
    prompt: "Run the tests.",
    workspace: "/home/me/project",
    model: { provider_id: "mock", model_id: "coder" },
    variant: null,
    trigger: { kind: "manual" },
    stop: { kind: "never" },
    context: "fresh",
    placement: { kind: "in_place" },
    permissions: [],
    step_cap: 50,
    timeout_minutes: null,
    budget_usd: null,
    daily_budget_usd: null,
    wait_for_input_when_unattended: false,
    paused: false,
    failure_streak_limit: 3,
    catch_up: "once",
    catch_up_max_age_hours: 168,
    overlap: "skip",
    sandbox: { mode: "enforce", network: false, writable: [], env: [] },
    revision: 1,
    session_id: null,
    created_at: "2030-01-01T00:00:00Z",
    updated_at: "2030-01-01T00:00:00Z",
    next_fire_at: null,
    next_fires: [],
    failure_streak: 0,
    last_run: null,
    finished: null,
    paused_reason: null,
    ...over,
  };
}

export function run(over: Partial<Run> = {}): Run {
  return {
    id: "run_1",
    automation_id: "aut_1",
    definition_revision: 1,
    revision: 1,
    trigger: "manual",
    attendance: "attended",
    writer_key: "/home/me/project",
    state: "running",
    blocker: null,
    result: null,
    error: null,
    stop_reason: null,
    session_id: "ses_1",
    cost_usd: 0.0123,
    tokens_in: 1200,
    tokens_out: 300,
    steps: 2,
    queued_at: "2030-01-01T00:00:00Z",
    started_at: "2030-01-01T00:00:01Z",
    finished_at: null,
    ...over,
  };
}

/** An in-place run's changes in a git repository: one modified file. */
export function changes(over: Partial<RunChanges> = {}): RunChanges {
  return {
    run_id: "run_1",
    source: "git",
    files: [{ path: "src/lib.rs", kind: "modified", old_path: null, insertions: 1, deletions: 1, binary: false }],
    files_changed: 1,
    insertions: 1,
    deletions: 1,
    patch: "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1 +1 @@\n-fn old() {}\n+fn new() {}\n",
    truncated: false,
    worktree: null,
    note: null,
    recorded_at: "2030-01-01T00:01:00Z",
    ...over,
  };
}

/** A worktree run's changes waiting for review. */
export function worktreeChanges(over: Partial<WorktreeChanges> = {}): WorktreeChanges {
  return {
    branch: "autowork/nightly",
    path: "/home/me/project/.autowork/worktrees/nightly",
    commit: "1234567890abcdef",
    review: "pending",
    applied_commit: null,
    superseded_by: null,
    ...over,
  };
}

/**
 * The inbox as `inbox_view` answers: these lines in this order (waiting runs first, as the
 * engine sends them), counted as the engine counts them unless `counts` says otherwise.
 */
export function inboxOf(items: (Run | InboxItem)[], over: Partial<Inbox> = {}): Inbox {
  const lines: InboxItem[] = items.map((i) => ("kind" in i ? i : { kind: "run", run: i }));
  const listedRuns = lines.flatMap((l) => (l.kind === "run" ? [l.run] : []));
  return {
    items: lines,
    counts: {
      needs_me: listedRuns.filter((r) => r.state === "awaiting_input").length,
      failed: listedRuns.filter((r) => r.state === "failed").length,
      total: lines.length,
    },
    truncated: false,
    ...over,
  };
}
