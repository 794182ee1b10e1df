import { useEffect, useMemo } from "react";
import { useNow } from "../../hooks";
import { useListKeys } from "../../keyboard/useListKeys";
import { navigate } from "../../routing";
import { automations } from "../../stores/automations";
import { inboxStore, isUnread, tabCounts } from "../../stores/inbox";
import { notices } from "../../stores/notices";
import { useStore } from "../../stores/observable";
import { runs } from "../../stores/runs";
import { InboxTabs } from "./InboxTabs";
import { groupLines, type Shown } from "./lines";
import { MarkAllRead } from "./MarkAllRead";
import { RestList, type Placed } from "./RestList";
import { MissedRow, RunRow, type RowAttrs } from "./Rows";
import "./inbox.css";

const NOTHING = [
  "Nothing needs you",
  "Runs that wait for your answer and runs that finished since you last looked show up here.",
] as const;
const EMPTY = {
  all: NOTHING,
  unread: NOTHING,
  needs_me: ["No run waits for you", "Runs that ask for a permission or an answer show up here."],
  failed: ["No failed runs to look at", "Failed runs you have not opened yet show up here."],
} as const;

export function InboxView() {
  const inbox = useStore(inboxStore);
  const all = useStore(runs);
  const titles = useStore(automations);
  const now = useNow(60_000);

  useEffect(() => {
    inboxStore.reload().catch((e: unknown) => notices.error("Could not load the inbox", e));
    return () => inboxStore.forgetRead();
  }, []);

  const { waiting, rest } = useMemo(() => groupLines(inbox, all), [inbox, all]);
  const counts = tabCounts(inbox, all);
  const lineAt = (i: number): Shown =>
    i < waiting.length ? { kind: "run", run: waiting[i] } : rest[i - waiting.length];
  const open = (i: number) => {
    const line = lineAt(i);
    if (line.kind === "run") navigate({ view: "run", runId: line.run.id });
    else if (line.ran_latest) navigate({ view: "run", runId: line.ran_latest });
    else navigate({ view: "runs", automationId: line.automation_id });
  };
  const list = useListKeys(waiting.length + rest.length, open);
  const title = (automationId: string) => titles.get(automationId)?.title ?? "Automation";

  const renderLine = (line: Shown, i: number, placed?: Placed) => {
    const row = list.row(i);
    let keys: RowAttrs = row;
    if (placed) {
      const { measure, ...where } = placed;
      const ref = (el: HTMLElement | null) => {
        row.ref(el);
        measure(el);
      };
      keys = { ...row, ...where, ref };
    }
    const onSelect = () => list.select(i);
    return line.kind === "run" ? (
      <RunRow
        key={line.run.id}
        run={line.run}
        unread={isUnread(line.run, inbox)}
        keys={keys}
        onSelect={onSelect}
        title={title(line.run.automation_id)}
        now={now}
      />
    ) : (
      <MissedRow
        key={`missed-${line.automation_id}`}
        line={line}
        keys={keys}
        onSelect={onSelect}
        title={title(line.automation_id)}
        now={now}
      />
    );
  };

  const [heading, hint] = EMPTY[inbox.tab];
  const finished = inbox.counts.total - inbox.counts.needs_me;
  return (
    <section className="view inbox">
      <header className="view-header">
        <h1>Inbox</h1>
        <MarkAllRead finished={finished} waiting={inbox.counts.needs_me} />
      </header>
      <InboxTabs tab={inbox.tab} counts={counts} />
      <div role="tabpanel" id="inbox-panel" aria-labelledby={`inbox-tab-${inbox.tab}`}>
        {inbox.loaded && waiting.length + rest.length === 0 && (
          <div className="empty">
            <h2>{heading}</h2>
            <p>{hint}</p>
          </div>
        )}
        {waiting.length > 0 && (
          <>
            <h2 className="inbox-group" id="inbox-waiting">
              Waiting for you <span className="muted">{waiting.length}</span>
            </h2>
            <ul className="rows inbox-rows inbox-waiting-rows" aria-labelledby="inbox-waiting" data-testid="inbox-waiting">
              {waiting.map((run, i) => renderLine({ kind: "run", run }, i))}
            </ul>
          </>
        )}
        {rest.length > 0 && (
          <>
            {waiting.length > 0 && (
              <h2 className="inbox-group" id="inbox-rest">
                Since you last looked
              </h2>
            )}
            <RestList
              lines={rest}
              offset={waiting.length}
              selected={list.index}
              label={waiting.length > 0 ? undefined : "Runs that need you"}
              render={renderLine}
            />
          </>
        )}
        {inbox.truncated && inbox.tab !== "needs_me" && (
          <p className="help inbox-truncated" data-testid="inbox-truncated">
            Only the newest 200 finished runs are listed. Mark all read, or find the rest under Runs.
          </p>
        )}
      </div>
    </section>
  );
}
