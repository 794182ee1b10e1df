// Re-exports of the generated types, so views import types from the api module only.
import type { Automation } from "../bindings";

export type {
  ApiError,
  AppInfo,
  AppSettings,
  ApplyOutcome,
  Automation,
  Blocker,
  CatalogModel,
  CatchUp,
  ChangeSource,
  ContextMode,
  Deleted,
  EventRecord,
  FileChange,
  FileChangeKind,
  JsonValue,
  KeptWorktree,
  Message,
  ModelRef,
  Overlap,
  Part,
  PartUpdate,
  PermissionAction,
  PermissionDecision,
  PermissionRule,
  Placement,
  ProviderConfig,
  ProviderKind,
  Question,
  Review,
  Role,
  Run,
  RunChanges,
  RunDetail,
  RunPage,
  RunState,
  RunTrigger,
  SchedulePreview,
  StopCondition,
  Trigger,
  ValidationDetail,
  Variant,
  WorktreeChanges,
} from "../bindings";

/** The user-defined part of an automation: what create takes and update patches. */
export type AutomationSpecInput = Omit<
  Automation,
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
>;
