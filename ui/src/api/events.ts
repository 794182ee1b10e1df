import { events, type EventRecord, type StoreHealth } from "../bindings";

type Unlisten = () => void;

/** Subscribes to every engine event; resolves to the unsubscribe function. */
export function onEngineEvent(cb: (record: EventRecord) => void): Promise<Unlisten> {
  return events.engineEvent.listen((e) => cb(e.payload));
}

/** The shell fell behind and dropped events: reload what is shown. */
export function onResync(cb: () => void): Promise<Unlisten> {
  return events.resync.listen(() => cb());
}

/** A notification was clicked: show this run. */
export function onShowRun(cb: (runId: string) => void): Promise<Unlisten> {
  return events.showRun.listen((e) => cb(e.payload.run_id));
}

/** The window's close button was pressed and the tray hint was never shown. */
export function onCloseRequested(cb: () => void): Promise<Unlisten> {
  return events.closeRequested.listen(() => cb());
}

/** The database was lost, tried again, or reached again. */
export function onStoreHealth(cb: (health: StoreHealth) => void): Promise<Unlisten> {
  return events.storeHealthChanged.listen((e) => cb(e.payload));
}

/** Runs `subscribe` in an effect and undoes it, even if cleanup comes before it resolved. */
export function subscription(subscribe: () => Promise<Unlisten>): () => void {
  let unlisten: Unlisten | null = null;
  let cancelled = false;
  subscribe()
    .then((u) => {
      if (cancelled) u();
      else unlisten = u;
    })
    .catch(() => {
      // Outside Tauri (a plain browser) there is no event bus: nothing to undo.
    });
  return () => {
    cancelled = true;
    unlisten?.();
  };
}
