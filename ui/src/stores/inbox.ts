import * as api from "../api";
import type { Run } from "../api";
import { Observable } from "./observable";
import { isActive, runs } from "./runs";

export interface InboxState {
  /** What the backend says needs the user, newest first. */
  ids: readonly string[];
  /** Opened in this window since the last reload: still listed, without the unread mark. */
  read: ReadonlySet<string>;
}

class InboxStore extends Observable<InboxState> {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    super({ ids: [], read: new Set() });
  }

  async reload(): Promise<void> {
    const list = await api.inbox();
    runs.upsertMany(list);
    const ids = list.map((r) => r.id);
    // Keep inbox runs read here listed until the view is left, so a click does not make them vanish.
    const kept = this.state.ids.filter((id) => this.state.read.has(id) && !ids.includes(id));
    this.set({ ids: [...ids, ...kept], read: this.state.read });
  }

  /** Whether a run changes what the inbox holds; the backend decides (seen flags live there). */
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
    this.set({ ids: [], read: new Set() });
  }

  markRead(runId: string): void {
    if (this.state.read.has(runId)) return;
    this.set({ ids: this.state.ids, read: new Set([...this.state.read, runId]) });
  }

  /** Forgets runs read here (leaving the Inbox): they drop out of the list on the next reload. */
  forgetRead(): void {
    if (this.state.read.size === 0) return;
    this.set({ ids: this.state.ids, read: new Set() });
    this.scheduleReload(0);
  }
}

export const inboxStore = new InboxStore();

/** What the navigation badge counts: runs that need the user and are not read yet. */
export function unreadCount(state: InboxState, all: ReadonlyMap<string, Run>): number {
  let n = 0;
  for (const id of state.ids) {
    const run = all.get(id);
    if (run?.state === "awaiting_input" || !state.read.has(id)) n++;
  }
  return n;
}
