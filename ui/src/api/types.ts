// Re-exports of the generated types, so views import types from the api module only.
import type { Automation, PermissionRule } from "../bindings";

export type {
  ApiError,
  AppInfo,
  AppSettings,
  ApplyOutcome,
  BashDecision,
  Automation,
  Blocker,
  CatalogModel,
  CatchUp,
  ConnectionTest,
  ConnectionReport,
  PasswordSource,
  PasswordState,
  SchemaState,
  StoreChoice,
  StoreHealth,
  ChangeSource,
  CommandDecision,
  Compaction,
  ContextMode,
  DatabaseSpace,
  Deleted,
  Draft,
  DraftSummary,
  Adjustment,
  EventRecord,
  FileChange,
  FileChangeKind,
  FolderHint,
  GcRemoval,
  GcReport,
  Inbox,
  InboxCounts,
  InboxFilter,
  InboxItem,
  JsonValue,
  KeyProblem,
  KeySource,
  KeyStorage,
  KeptWorktree,
  Message,
  Original,
  ModelRef,
  Overlap,
  Part,
  PartUpdate,
  PermissionAction,
  PermissionDecision,
  PermissionRule,
  Placement,
  ProblemCode,
  ProviderConfig,
  ProviderKind,
  ProviderSlots,
  ProviderSource,
  ProviderStatus,
  Question,
  QueueLimits,
  QueuePlace,
  QueueView,
  RetentionPolicy,
  Review,
  Role,
  Run,
  RunChanges,
  RunDetail,
  RunMark,
  RunPage,
  RunQuery,
  RunState,
  RunStats,
  DayStats,
  Upcoming,
  UpcomingFire,
  WorkerInfo,
  RuleExamples,
  RuleRef,
  RunTrigger,
  SandboxMode,
  SandboxSettings,
  SchedulePreview,
  StopCondition,
  Trigger,
  ValidationDetail,
  Variant,
  WorkAreaHolder,
  WorktreeChanges,
} from "../bindings";

/**
 * A permission rule as sent and as stored: the engine leaves out `exact` (false) and
 * `examples` (none) when they are the default, and fills them in when they are missing.
 */
export type PermissionRuleInput = Omit<PermissionRule, "exact" | "examples"> &
  Partial<Pick<PermissionRule, "exact" | "examples">>;

/** The user-defined part of an automation: what create takes and update patches. */
export type AutomationSpecInput = Omit<
  Automation,
  | "permissions"
  | "id"
  | "revision"
  | "session_id"
  | "created_at"
  | "updated_at"
  // Derived by the engine, never sent back.
  | "next_fire_at"
  | "next_fires"
  | "failure_streak"
  | "last_run"
  | "finished"
  | "paused_reason"
  | "recent_runs"
> & { permissions: PermissionRuleInput[] };
