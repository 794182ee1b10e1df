import { useEffect, useMemo } from "react";
import * as api from "../api";
import type { PartUpdate } from "../api";
import { Observable, useStore } from "./observable";
import { runs } from "./runs";
import {
  applyPartUpdate,
  emptyTranscript,
  mergeLoaded,
  type TranscriptState,
} from "./transcript";

/** The live transcript of one open run. */
export class TranscriptStore extends Observable<TranscriptState> {
  readonly runId: string;

  constructor(runId: string) {
    super(emptyTranscript);
    this.runId = runId;
  }

  apply(update: PartUpdate): void {
    this.setSoon(applyPartUpdate(this.state, update));
  }

  /** Loads the run and its stored transcript; events that came first are kept. */
  async load(): Promise<void> {
    const detail = await api.getRun(this.runId);
    runs.upsert(detail.run);
    this.set(mergeLoaded(this.state, detail.transcript));
  }
}

// Only open run views hold a transcript; other runs' deltas are dropped.
const open = new Map<string, Set<TranscriptStore>>();

export function routePartUpdate(update: PartUpdate): void {
  open.get(update.run_id)?.forEach((store) => store.apply(update));
}

export function reloadOpenTranscripts(): void {
  open.forEach((stores) => stores.forEach((s) => void s.load().catch(() => {})));
}

/** The transcript of `runId` while the calling component is mounted. */
export function useTranscript(runId: string): {
  store: TranscriptStore;
  state: TranscriptState;
} {
  const store = useMemo(() => new TranscriptStore(runId), [runId]);
  useEffect(() => {
    let set = open.get(runId);
    if (!set) open.set(runId, (set = new Set()));
    set.add(store);
    return () => {
      set.delete(store);
      if (set.size === 0) open.delete(runId);
    };
  }, [runId, store]);
  const state = useStore(store);
  return { store, state };
}
