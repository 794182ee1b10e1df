import type { Message, Part, PartUpdate, Role } from "../api";

/** A text or reasoning part still streaming: the deltas so far. */
export interface StreamingPart {
  messageId: string;
  role: Role;
  kind: string;
  /** The `part_index` of its first delta: the complete part lands at this index or later. */
  fromIndex: number;
  text: string;
}

export interface MessageView {
  id: string;
  role: Role;
  /** When the message was started: stored, or when its first event arrived. */
  createdAt: string | null;
  /** Complete parts by index; holes are parts not received yet. */
  parts: readonly (Part | undefined)[];
}

/** The provider failed and the model call is tried again at `retryAt`. */
export interface RetryStatus {
  attempt: number;
  maxAttempts: number;
  reason: string;
  retryAt: string;
}

export interface TranscriptState {
  messages: readonly MessageView[];
  streaming: readonly StreamingPart[];
  /** Set by a `retrying` update, cleared by the next delta or complete part. */
  retry: RetryStatus | null;
}

export const emptyTranscript: TranscriptState = { messages: [], streaming: [], retry: null };

export function fromMessages(transcript: readonly Message[]): TranscriptState {
  return mergeLoaded(emptyTranscript, transcript);
}

/** Whether a complete part of `kind` at or after `fromIndex` has replaced the stream. */
function completedBy(message: MessageView | undefined, s: StreamingPart): boolean {
  if (!message) return false;
  return message.parts.some((p, i) => p !== undefined && i >= s.fromIndex && p.kind === s.kind);
}

function withMessage(
  state: TranscriptState,
  id: string,
  role: Role,
  change: (m: MessageView) => MessageView,
): readonly MessageView[] {
  const at = state.messages.findIndex((m) => m.id === id);
  if (at < 0) return [...state.messages, change(newMessage(id, role))];
  const next = [...state.messages];
  next[at] = change(next[at]);
  return next;
}

// Events carry no time; the first one seen stands in until the stored message replaces it.
function newMessage(id: string, role: Role): MessageView {
  return { id, role, createdAt: new Date().toISOString(), parts: [] };
}

/**
 * Applies one `session.part` event. Deltas are matched to their stream by message and
 * kind, not by `part_index`: while reasoning and text stream together both name the same
 * next index, and only the complete part says where each one landed.
 */
export function applyPartUpdate(state: TranscriptState, u: PartUpdate): TranscriptState {
  if (u.change === "retrying") {
    const retry = { attempt: u.attempt, maxAttempts: u.max_attempts, reason: u.reason, retryAt: u.retry_at };
    return { ...state, retry };
  }
  if (u.change === "complete") {
    const messages = withMessage(state, u.message_id, u.role, (m) => {
      const parts = [...m.parts];
      parts[u.part_index] = u.part;
      return { ...m, parts };
    });
    const message = messages.find((m) => m.id === u.message_id);
    const streaming = state.streaming.filter(
      (s) => s.messageId !== u.message_id || !completedBy(message, s),
    );
    return { messages, streaming, retry: null };
  }
  const message = state.messages.find((m) => m.id === u.message_id);
  const at = state.streaming.findIndex(
    (s) => s.messageId === u.message_id && s.kind === u.part_kind,
  );
  if (at >= 0) {
    const streaming = [...state.streaming];
    streaming[at] = { ...streaming[at], text: streaming[at].text + u.text };
    return { ...state, streaming, retry: null };
  }
  const started: StreamingPart = {
    messageId: u.message_id,
    role: u.role,
    kind: u.part_kind,
    fromIndex: u.part_index,
    text: u.text,
  };
  // A late delta for a part already complete is dropped.
  if (completedBy(message, started)) return state.retry ? { ...state, retry: null } : state;
  const messages = message ? state.messages : [...state.messages, newMessage(u.message_id, u.role)];
  return { messages, streaming: [...state.streaming, started], retry: null };
}

/** Merges the stored transcript (from `get_run`) with what events brought meanwhile. */
export function mergeLoaded(state: TranscriptState, loaded: readonly Message[]): TranscriptState {
  const sorted = [...loaded].sort((a, b) => a.seq - b.seq);
  const loadedIds = new Set(sorted.map((m) => m.id));
  const messages: MessageView[] = sorted.map((m) => {
    const live = state.messages.find((x) => x.id === m.id);
    const parts: (Part | undefined)[] = [...m.parts];
    live?.parts.forEach((p, i) => {
      if (p && parts[i] === undefined) parts[i] = p;
    });
    return { id: m.id, role: m.role, createdAt: m.created_at, parts };
  });
  // Messages only seen in events are newer than the stored ones.
  for (const m of state.messages) if (!loadedIds.has(m.id)) messages.push(m);
  const streaming = state.streaming.filter(
    (s) => !completedBy(messages.find((m) => m.id === s.messageId), s),
  );
  return { messages, streaming, retry: state.retry };
}
