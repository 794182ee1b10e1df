// The only module that talks to the backend: unwraps the generated bindings' results so
// callers get data or a thrown ApiFailure.
import { commands, type Result } from "../bindings";
import type {
  ApiError,
  AppSettings,
  AutomationSpecInput,
  InboxFilter,
  JsonValue,
  PermissionDecision,
  PermissionRule,
  PermissionRuleInput,
  ProviderConfig,
  QueueLimits,
  RetentionPolicy,
  RunQuery,
  RunState,
  StopCondition,
  Trigger,
} from "./types";
import { ApiFailure } from "./failure";

export { ApiFailure, errorText } from "./failure";
export * from "./types";
export * from "./events";

async function unwrap<T>(pending: Promise<Result<T, ApiError>>): Promise<T> {
  const result = await pending;
  if (result.status === "error") throw new ApiFailure(result.error);
  return result.data;
}

// Automations
export const listAutomations = () => unwrap(commands.listAutomations());
export const getAutomation = (id: string) => unwrap(commands.getAutomation(id));
export const createAutomation = (input: AutomationSpecInput) =>
  unwrap(commands.createAutomation(input as unknown as JsonValue));
export const updateAutomation = (
  id: string,
  patch: Partial<AutomationSpecInput>,
  expectedRevision: number,
) => unwrap(commands.updateAutomation(id, patch as unknown as JsonValue, expectedRevision));
export const setPaused = (id: string, paused: boolean) => unwrap(commands.setPaused(id, paused));
/** Pauses (or resumes) every schedule; resuming leaves automations paused one by one alone. */
export const pauseAllSchedules = (paused: boolean) => unwrap(commands.pauseAllSchedules(paused));
export const deleteAutomation = (id: string) => unwrap(commands.deleteAutomation(id));
export const previewSchedule = (trigger: Trigger, stop: StopCondition, count: number) =>
  unwrap(commands.previewSchedule(trigger, stop, count));
/** An automation drafted from a sentence by the default model; nothing is saved. */
export const draftAutomation = (sentence: string, workspace: string | null, timeZone: string) =>
  unwrap(commands.draftAutomation(sentence, workspace, timeZone));
/** What `permissions` (saved or not) decide for a shell command, command by command; nothing runs. */
export const checkCommand = (permissions: PermissionRuleInput[], command: string) =>
  commands.checkCommand(permissions as PermissionRule[], command);

// Settings → Database: where the ledger lives; the password goes to the keychain only.
export const getStore = () => unwrap(commands.getStore());
export const testStore = (url: string, password: string | null) => unwrap(commands.testStore(url, password));
export const setStore = (url: string | null, password: string | null) => unwrap(commands.setStore(url, password));
export const forgetStorePassword = () => unwrap(commands.forgetStorePassword());
/** Restarts the app (a changed store takes effect then). */
export const restartApp = () => unwrap(commands.restartApp());
/** Whether the engine reaches its database now; changes come through `onStoreHealth`. */
export const storeHealth = () => unwrap(commands.storeHealth());
/** Tries to reach a lost database at once instead of at the next try. */
export const retryStore = () => unwrap(commands.retryStore());

// Runs
export const runNow = (id: string) => unwrap(commands.runNow(id));
export const cancelRun = (runId: string) => unwrap(commands.cancelRun(runId));
export const followUpRun = (runId: string, message: string) => unwrap(commands.followUpRun(runId, message));
export const getRunThread = (runId: string) => unwrap(commands.getRunThread(runId));
export const listRuns = (
  automationId: string | null,
  states: RunState[],
  cursor: string | null,
  limit: number,
) => unwrap(commands.listRuns(automationId, states, cursor, limit));
export const getRun = (runId: string) => unwrap(commands.getRun(runId));
/** A page of runs matching `query`, newest first; pass `next_cursor` back for the next page. */
export const queryRuns = (query: RunQuery, cursor: string | null, limit: number) =>
  unwrap(commands.queryRuns(query, cursor, limit));
/** Runs, outcomes and cost per day for the last `days` days, days counted in `timeZone` (IANA). */
export const runStats = (days: number, timeZone: string) => unwrap(commands.runStats(days, timeZone));
/** Every schedule's fires in the next `hours` hours, soonest first. */
export const upcomingFires = (hours: number) => unwrap(commands.upcomingFires(hours));
export const replyPermission = (
  requestId: string,
  decision: PermissionDecision,
  message: string | null,
  /** With "always": which of the blocker's `always_options` (the first when null). */
  alwaysChoice: number | null = null,
) => unwrap(commands.replyPermission(requestId, decision, message, alwaysChoice));
export const answerQuestion = (callId: string, answers: string[]) =>
  unwrap(commands.answerQuestion(callId, answers));
export const inbox = () => unwrap(commands.inbox());
export const markSeen = (runIds: string[]) => unwrap(commands.markSeen(runIds));
/** The inbox (`filter` null: all): waiting runs first, then unseen ones, with the whole inbox's counts. */
export const inboxView = (filter: InboxFilter | null) => unwrap(commands.inboxView(filter));
/** Files every unseen finished run as seen, or only `missedOf`'s missed fires; returns how many runs. */
export const markAllSeen = (missedOf: string | null) => unwrap(commands.markAllSeen(missedOf));
export const getRunChanges = (runId: string) => unwrap(commands.getRunChanges(runId));
export const applyRun = (runId: string) => unwrap(commands.applyRun(runId));
export const discardRun = (runId: string) => unwrap(commands.discardRun(runId));
/** The files a crashed run changed in place, as they were before it; empty for other runs. */
export const getRunOriginals = (runId: string) => unwrap(commands.getRunOriginals(runId));
/** Puts a crashed run's files back as they were (removes the ones it created); returns their paths. */
export const restoreRunOriginals = (runId: string) => unwrap(commands.restoreRunOriginals(runId));
/** Which run held the work area when `runId` ended `stopped`/`writer_busy`; null otherwise. */
export const getWorkAreaHolder = (runId: string) => unwrap(commands.getWorkAreaHolder(runId));
export const setFocusedRun = (runId: string | null) => unwrap(commands.setFocusedRun(runId));

// The run queue: how many runs execute at once; the others wait in `queued`.
export const queueLimits = () => unwrap(commands.queueLimits());
/** Saves the limits for the app and `autowork daemon` alike; returns them as stored. */
export const setQueueLimits = (limits: QueueLimits) => unwrap(commands.setQueueLimits(limits));
/** What holds a slot and the first `limit` queued runs in start order (`limit` null: the engine's default). */
export const queueView = (limit: number | null = null) => unwrap(commands.queueView(limit));
/** Where a queued run stands; null once it is no longer queued. */
export const queuePlace = (runId: string) => unwrap(commands.queuePlace(runId));
export const workers = () => unwrap(commands.workers());

// Retention: how long finished runs are kept, and the clean-up that removes the older ones.
export const getRetention = () => unwrap(commands.getRetention());
/** Saves how long finished runs are kept, for the app and `autowork daemon` alike; returns it as stored. */
export const setRetention = (policy: RetentionPolicy) => unwrap(commands.setRetention(policy));
/** What a clean-up now would remove; nothing is removed. */
export const gcPreview = () => unwrap(commands.gcPreview());
/**
 * Removes the finished runs past the policy and gives the space back; with a preview's
 * `as_of`, exactly what it listed (runs that changed meanwhile are left alone).
 */
export const gcNow = (asOf: string | null) => unwrap(commands.gcNow(asOf));

// Models, providers, settings
export const listModels = () => unwrap(commands.listModels());
export const listProviders = () => unwrap(commands.listProviders());
export const setProvider = (config: ProviderConfig) => unwrap(commands.setProvider(config));
export const removeProvider = (id: string) => unwrap(commands.removeProvider(id));
export const setProviderKey = (id: string, key: string) =>
  unwrap(commands.setProviderKey(id, key));
export const testProvider = (id: string) => unwrap(commands.testProvider(id));
/** Forgets a provider's stored key (system keychain entry and key file); returns its status. */
export const forgetProviderKey = (id: string) => unwrap(commands.forgetProviderKey(id));
export const getSettings = () => unwrap(commands.getSettings());
export const setSettings = (settings: AppSettings) => unwrap(commands.setSettings(settings));
export const appInfo = () => unwrap(commands.appInfo());
export const openLogs = () => unwrap(commands.openLogs());
/** Opens the system's folder picker at `start`; null when the user cancels. */
export const pickFolder = (start: string | null) => unwrap(commands.pickFolder(start));
/** Whether `path` exists, is a folder, and which git repository it is in. */
export const describeFolder = (path: string) => unwrap(commands.describeFolder(path));

// Window and app
export const hideToTray = () => unwrap(commands.hideToTray());
export const quit = () => unwrap(commands.quit());
export const getAutostart = () => unwrap(commands.getAutostart());
export const setAutostart = (enabled: boolean) => unwrap(commands.setAutostart(enabled));
