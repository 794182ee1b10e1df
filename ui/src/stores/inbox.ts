import * as api from "../api";
import type { InboxCounts, InboxItem, Run } from "../api";
import { Observable } from "./observable";
import { isActive, runs } from "./runs";

/** The inbox's tabs: three the engine filters, and Unread (All minus what was opened here). */
export type InboxTab = "all" | "needs_me" | "failed" | "unread";

export type MissedFires = Extract<InboxItem, { kind: "missed_fires" }>;

/** A line of the inbox: a run (read live from the runs store) or one automation's missed fires. */
export type InboxLine = { kind: "run"; id: string } | MissedFires;

export interface InboxState {
  tab: InboxTab;
  /** What the engine listed for the tab, in its order: waiting runs first, then newest first. */
  lines: readonly InboxLine[];
  /** The run ids among `lines`. */
  ids: readonly string[];
  /** Of the whole inbox, whatever the tab. */
  counts: InboxCounts;
  /** More finished runs are unseen than listed. */
  truncated: boolean;
  /** Whether the first answer came. */
  loaded: boolean;
  /** Opened in this window since the Inbox was entered: listed without the unread mark. */
  read: ReadonlySet<string>;
  /** Answered from a row here: listed (with their new state) until the view is left. */
  answered: ReadonlySet<string>;
  /** Runs read or answered here that the engine no longer lists: shown until the Inbox is left. */
  kept: readonly string[];
}

const NO_COUNTS: InboxCounts = { needs_me: 0, failed: 0, total: 0 };

const initial = (): InboxState => ({
  tab: "all",
  lines: [],
  ids: [],
  counts: NO_COUNTS,
  truncated: false,
  loaded: false,
  read: new Set(),
  answered: new Set(),
  kept: [],
});

class InboxStore extends Observable<InboxState> {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Numbers the loads, so a slow answer never replaces a newer one. */
  private asked = 0;

  constructor() {
    super(initial());
  }

  async reload(): Promise<void> {
    const ask = ++this.asked;
    const tab = this.state.tab;
    const inbox = await api.inboxView(tab === "unread" ? "all" : tab);
    if (ask !== this.asked) return;
    const lines: InboxLine[] = [];
    const listed: Run[] = [];
    for (const item of inbox.items) {
      if (item.kind === "run") {
        listed.push(item.run);
        lines.push({ kind: "run", id: item.run.id });
      } else {
        lines.push(item);
      }
    }
    runs.upsertMany(listed);
    const ids = listed.map((r) => r.id);
    const now = new Set(ids);
    // Runs read or answered here stay listed until the view is left, so a click does not make them vanish.
    const { read, answered } = this.state;
    const held = (id: string) => read.has(id) || answered.has(id);
    const kept = [...new Set([...this.state.ids.filter(held), ...this.state.kept])].filter((id) => !now.has(id));
    this.set({ ...this.state, lines, ids, counts: inbox.counts, truncated: inbox.truncated, loaded: true, kept });
  }

  /** Whether a run changes what the inbox holds; the engine decides (seen flags live there). */
  onRunUpdated(run: Run): void {
    const listed = this.state.ids.includes(run.id);
    if (listed || run.state === "awaiting_input" || !isActive(run.state)) this.scheduleReload();
  }

  scheduleReload(delayMs = 250): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reload().catch(() => {});
    }, delayMs);
  }

  reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.asked++;
    this.set(initial());
  }

  setTab(tab: InboxTab): Promise<void> {
    if (tab === this.state.tab) return Promise.resolve();
    this.set({ ...this.state, tab });
    return this.reload();
  }

  /** A run was opened (its detail marks it seen in the engine). */
  markRead(runId: string): void {
    if (this.state.read.has(runId)) return;
    this.set({ ...this.state, read: new Set([...this.state.read, runId]) });
    // The engine's counts change with the seen flag; the badge follows on the next load.
    this.scheduleReload();
  }

  /** A run was answered from its row: it shows its new state and leaves the waiting group. */
  answeredHere(run: Run): void {
    runs.upsert(run);
    this.set({ ...this.state, answered: new Set([...this.state.answered, run.id]) });
    this.scheduleReload();
  }

  /** Files every unseen finished run as seen; runs waiting for input stay. Returns how many runs. */
  async markAllRead(): Promise<number> {
    const n = await api.markAllSeen(null);
    this.set({ ...this.state, kept: [] });
    await this.reload();
    return n;
  }

  /** Dismisses one automation's missed fires (files them as seen). */
  async dismissMissed(automationId: string): Promise<void> {
    await api.markAllSeen(automationId);
    const lines = this.state.lines.filter((l) => l.kind !== "missed_fires" || l.automation_id !== automationId);
    const counts = { ...this.state.counts, total: Math.max(0, this.state.counts.total - 1) };
    this.set({ ...this.state, lines, counts });
    this.scheduleReload(0);
  }

  /** Forgets runs read or answered here (leaving the Inbox): they drop out of the list on the next load. */
  forgetRead(): void {
    const { read, answered, kept } = this.state;
    if (read.size === 0 && answered.size === 0 && kept.length === 0) return;
    this.set({ ...this.state, read: new Set(), answered: new Set(), kept: [] });
    this.scheduleReload(0);
  }
}

export const inboxStore = new InboxStore();

/** Whether a run's line carries the unread mark: it waits for the user, or finished unopened. */
export function isUnread(run: Run, state: InboxState): boolean {
  return run.state === "awaiting_input" || (!isActive(run.state) && !state.read.has(run.id));
}

/**
 * What the navigation badge counts: every line of the inbox (the engine's total), less the
 * runs opened here that the engine has not dropped yet.
 */
export function unreadCount(state: InboxState, all: ReadonlyMap<string, Run>): number {
  let n = state.counts.total;
  for (const id of state.ids) {
    const run = all.get(id);
    if (state.read.has(id) && run?.state !== "awaiting_input") n--;
  }
  return Math.max(0, n);
}

/** The count each tab shows, from the engine's counts and what was read here. */
export function tabCounts(state: InboxState, all: ReadonlyMap<string, Run>): Record<InboxTab, number> {
  const keptFailed = state.kept.filter((id) => all.get(id)?.state === "failed").length;
  return {
    all: state.counts.total + state.kept.length,
    needs_me: state.counts.needs_me,
    failed: state.counts.failed + keptFailed,
    unread: unreadCount(state, all),
  };
}
