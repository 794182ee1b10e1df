//! Writing a run's transcript: messages and parts are stored as they complete, and every
//! change is published as a `session.part` event (streamed deltas in this process only).
//!
//! Each write is one transaction: a model's answer together with the step's accounting,
//! each tool result on its own (so a crash loses at most the part in flight). A message's
//! row goes with the write before it (a step's message with the last write before the model
//! call) rather than in a commit of its own. That last write commits while the model call
//! goes out (the call changes nothing here); what the call streams is published once it is
//! done, and nothing else is written before it is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::engine::Shared;
use crate::error::Result;
use crate::events::{Event, EventRecord};
use crate::ids::{AutomationId, RunId, SessionId};
use crate::ledger::{Run, Transition, Usage};
use crate::secrets;
use crate::store;
use crate::store::transcripts::Staged;
use crate::transcript::{Message, Part, PartChange, PartUpdate, Role};

/// Appends to one session on behalf of one run.
pub(crate) struct SessionWriter {
    shared: Arc<Shared>,
    run_id: RunId,
    pub session_id: SessionId,
    next_seq: u32,
}

impl SessionWriter {
    /// Opens `session` (creating it when `create`) for appending.
    pub async fn open(
        shared: Arc<Shared>,
        run_id: RunId,
        automation_id: &AutomationId,
        session_id: SessionId,
        create: bool,
    ) -> Result<Self> {
        let mut conn = shared.store.connection().await?;
        if create {
            store::transcripts::create_session(
                &mut conn,
                &session_id,
                automation_id,
                shared.clock.now(),
            )
            .await?;
        }
        let next_seq = store::transcripts::next_seq(&mut conn, &session_id).await?;
        drop(conn);
        Ok(Self {
            shared,
            run_id,
            session_id,
            next_seq,
        })
    }

    /// Every stored message of the session (the history `continue` sends again).
    pub async fn history(&self) -> Result<Vec<Message>> {
        let mut conn = self.shared.store.connection().await?;
        store::transcripts::session_messages(&mut conn, &self.session_id).await
    }

    /// Starts a message. Its row is stored with the first write that needs it: its first
    /// parts, or the write before it that opens it ([`MessageWriter::stage_then`]).
    pub fn message(&mut self, role: Role) -> MessageWriter {
        let writer = MessageWriter {
            shared: self.shared.clone(),
            run_id: self.run_id.clone(),
            session_id: self.session_id.clone(),
            message_id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
            role,
            seq: self.next_seq,
            created_at: self.shared.clock.now(),
            stored: false,
            next_part: 0,
            opening: None,
        };
        self.next_seq += 1;
        writer
    }
}

pub(crate) struct MessageWriter {
    shared: Arc<Shared>,
    run_id: RunId,
    session_id: SessionId,
    message_id: String,
    role: Role,
    seq: u32,
    /// When the message started (a model call's start, not its end).
    created_at: DateTime<Utc>,
    /// Whether the message's row is in the store.
    stored: bool,
    next_part: u32,
    /// Holds this message's streamed updates while the write that opens it is in flight
    /// ([`MessageWriter::stage_then`]), so none is published before the message's row.
    opening: Option<Arc<Mutex<Opening>>>,
}

/// Streamed updates held until the write that opens their message is done.
#[derive(Default)]
struct Opening {
    done: bool,
    held: Vec<EventRecord>,
}

/// The last write before a model call, staged to run while the call goes out
/// ([`MessageWriter::stage_then`]): on a zero-latency model the commit and the request
/// overlap instead of following each other. It must be done before any other write of the
/// run, which [`PendingWrite::commit`] being awaited before the call's answer is written
/// ensures.
#[must_use = "a staged write is only stored once committed"]
pub(crate) struct PendingWrite {
    shared: Arc<Shared>,
    batch: Staged,
    events: Vec<Event>,
    opening: Arc<Mutex<Opening>>,
}

impl PendingWrite {
    /// Commits the write, then publishes what the opened message streamed meanwhile (on
    /// an error, drops it: the message was not stored).
    pub async fn commit(self) -> Result<()> {
        let Self {
            shared,
            batch,
            events,
            opening,
        } = self;
        let result = commit_staged(&shared, batch, events).await;
        let mut opening = lock(&opening);
        opening.done = true;
        let held = std::mem::take(&mut opening.held);
        if result.is_ok() {
            // Under the lock: a delta arriving now waits, and so follows these.
            for record in held {
                shared.bus.publish(record);
            }
        }
        result
    }
}

/// A model's answer handed to the database ([`MessageWriter::answer`]), not yet known
/// committed.
#[must_use = "an answer's write must be settled before the run's next write"]
pub(crate) struct PendingAnswer {
    task: tokio::task::JoinHandle<Result<Run>>,
}

impl PendingAnswer {
    /// Waits for the answer's commit; returns the run as it recorded it.
    pub async fn settle(self) -> Result<Run> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(crate::error::Error::Io {
                context: "the write of a model's answer stopped".into(),
                source: std::io::Error::other(e),
            }),
        }
    }
}

/// The write behind [`MessageWriter::answer`].
async fn commit_answer(
    shared: Arc<Shared>,
    run_id: RunId,
    run: Run,
    accounted: Run,
    usage: Usage,
    batch: Staged,
    mut part_events: Vec<Event>,
) -> Result<Run> {
    if let Some(mut write) = shared.store.blind_write() {
        // SQLite: the accounting goes in the same batch as the rows, computed from `run`
        // instead of read back (`RETURNING`, a round trip of its own).
        store::runs::push_account(write.sql(), &run, &accounted);
        let mut events = Vec::with_capacity(part_events.len() + 1);
        events.push(Event::RunUpdated(accounted.clone()));
        events.append(&mut part_events);
        match shared
            .recorder
            .commit_blind(write, &batch, &mut events)
            .await
        {
            Ok(()) => return Ok(accounted),
            // The stored run moved on since `run` (a question asked and answered, the run
            // cancelled): account from the stored run below, as any transition does.
            Err(e) if store::no_row_changed(&e) => part_events = events.split_off(1),
            Err(e) => return Err(e),
        }
    }
    let mut tx = shared.store.begin_write().await?;
    let mut events = Vec::with_capacity(part_events.len() + 1);
    let (run, _) = shared
        .recorder
        .apply_in(
            &mut tx,
            &run_id,
            Transition::Account(usage),
            shared.clock.now(),
            &mut events,
        )
        .await?;
    events.append(&mut part_events);
    shared.recorder.commit_after(tx, batch, events).await?;
    Ok(run)
}

/// Commits `batch` with the outbox insert of `events` (one round trip to SQLite's writer, as
/// a blind write), then publishes `events`.
async fn commit_staged(shared: &Shared, batch: Staged, mut events: Vec<Event>) -> Result<()> {
    match shared.store.blind_write() {
        Some(write) => {
            shared
                .recorder
                .commit_blind(write, &batch, &mut events)
                .await
        }
        None => {
            let tx = shared.store.begin_write().await?;
            shared.recorder.commit_after(tx, batch, events).await
        }
    }
}

fn lock(opening: &Mutex<Opening>) -> std::sync::MutexGuard<'_, Opening> {
    // The lock guards no invariant a panic could break.
    opening
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MessageWriter {
    fn update(&self, part_index: u32, change: PartChange) -> Event {
        Event::SessionPart(PartUpdate {
            run_id: self.run_id.clone(),
            session_id: self.session_id.clone(),
            message_id: self.message_id.clone(),
            role: self.role,
            part_index,
            change,
        })
    }

    /// Publishes streamed text for the part being written (not stored).
    pub fn delta(&self, part_kind: &str, text: &str) {
        let event = self.update(
            self.next_part,
            PartChange::Delta {
                part_kind: part_kind.to_owned(),
                text: secrets::redact(text).into_owned(),
            },
        );
        self.publish_streamed(event);
    }

    /// Publishes that the model call is tried again after `wait` (not stored).
    pub fn retrying(&self, attempt: u32, max_attempts: u32, reason: &str, wait: Duration) {
        let retry_at = self.shared.clock.now()
            + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::zero());
        let event = self.update(
            self.next_part,
            PartChange::Retrying {
                attempt,
                max_attempts,
                reason: secrets::redact(reason).into_owned(),
                retry_at,
            },
        );
        self.publish_streamed(event);
    }

    /// Publishes an update that is not stored, unless the message's opening write is still
    /// in flight: then it waits for that write.
    fn publish_streamed(&self, event: Event) {
        let record = EventRecord {
            seq: 0,
            at: self.shared.clock.now(),
            event,
        };
        if let Some(opening) = &self.opening {
            let mut opening = lock(opening);
            if !opening.done {
                opening.held.push(record);
                return;
            }
        }
        self.shared.bus.publish(record);
    }

    /// Stores a finished part and publishes it.
    pub async fn part(&mut self, part: Part) -> Result<()> {
        self.write(vec![part], None).await
    }

    /// Stores parts finished together, in one transaction, and publishes them.
    pub async fn parts(&mut self, parts: Vec<Part>) -> Result<()> {
        self.write(parts, None).await
    }

    /// [`MessageWriter::parts`], storing the (still empty) message `next` in the same
    /// transaction: the write before a model call opens the call's message, so the step
    /// shows from its start without a commit of its own. Staged, for the caller to commit
    /// while the call goes out; `next`'s streamed updates wait for that commit.
    pub fn stage_then(&mut self, parts: Vec<Part>, next: &mut MessageWriter) -> PendingWrite {
        let mut events = Vec::with_capacity(parts.len());
        let mut batch = Staged::default();
        self.stage(&mut batch, parts, Some(next), &mut events);
        let opening = Arc::new(Mutex::new(Opening::default()));
        next.opening = Some(opening.clone());
        // The caller commits before any other write of the run, or the run fails.
        self.mark_stored(Some(next));
        PendingWrite {
            shared: self.shared.clone(),
            batch,
            events,
            opening,
        }
    }

    /// Stores a model call's answer and accounts for the call (`usage`) in one transaction,
    /// opening the message `next` (the tool results) when the answer called tools; then
    /// publishes the run's update and the parts. The answer lands whole or not at all.
    /// `run` is the run as of its last accounting, which the step's accounting adds to when
    /// the stored run is still that one.
    ///
    /// The write is handed to the database at once, on a task of its own, so that the tool
    /// calls can be looked at while it commits. Returns the run as the write accounts it and
    /// the write, which the caller settles before anything that has an effect (another write
    /// of the run, a tool that changes files or runs a command, a question).
    pub fn answer(
        &mut self,
        run: &Run,
        parts: Vec<Part>,
        usage: Usage,
        mut next: Option<&mut MessageWriter>,
    ) -> (Run, PendingAnswer) {
        let mut batch = Staged::default();
        let mut part_events = Vec::with_capacity(parts.len());
        self.stage(&mut batch, parts, next.as_deref_mut(), &mut part_events);
        // The caller settles the write before any other write of the run, or the run fails.
        self.mark_stored(next);
        let accounted = store::runs::accounted(run, &usage);
        let task = tokio::spawn(commit_answer(
            self.shared.clone(),
            self.run_id.clone(),
            run.clone(),
            accounted.clone(),
            usage,
            batch,
            part_events,
        ));
        (accounted, PendingAnswer { task })
    }

    async fn write(
        &mut self,
        parts: Vec<Part>,
        mut next: Option<&mut MessageWriter>,
    ) -> Result<()> {
        let mut events = Vec::with_capacity(parts.len());
        let mut batch = Staged::default();
        self.stage(&mut batch, parts, next.as_deref_mut(), &mut events);
        // The write reads nothing: on SQLite it goes to the writer in one batch.
        commit_staged(&self.shared, batch, events).await?;
        self.mark_stored(next);
        Ok(())
    }

    /// Adds the message (unless stored), `parts` and the message `next` to `batch`, and the
    /// parts' events to `events`.
    fn stage(
        &mut self,
        batch: &mut Staged,
        mut parts: Vec<Part>,
        next: Option<&mut MessageWriter>,
        events: &mut Vec<Event>,
    ) {
        self.push_row(batch);
        parts.iter_mut().for_each(redact_part);
        let first = self.next_part;
        store::transcripts::push_parts(
            batch,
            &self.message_id,
            first,
            &parts,
            self.shared.clock.now(),
        );
        self.next_part += u32::try_from(parts.len()).unwrap_or(u32::MAX);
        events.extend(
            (first..)
                .zip(parts)
                .map(|(index, part)| self.update(index, PartChange::Complete { part })),
        );
        if let Some(next) = next {
            next.push_row(batch);
        }
    }

    /// From a commit on, this message and `next` are stored.
    fn mark_stored(&mut self, next: Option<&mut MessageWriter>) {
        self.stored = true;
        if let Some(next) = next {
            next.stored = true;
        }
    }

    /// Adds the message's row to `batch`, unless it is stored.
    fn push_row(&self, batch: &mut Staged) {
        if self.stored {
            return;
        }
        store::transcripts::push_message(
            batch,
            &self.message_id,
            &self.session_id,
            &self.run_id,
            self.seq,
            self.role,
            self.created_at,
        );
    }
}

/// No known secret is stored in a transcript or leaves in an event.
fn redact_part(part: &mut Part) {
    match part {
        Part::Text { text }
        | Part::Reasoning { text }
        | Part::Error { text }
        | Part::Notice { text } => secrets::redact_in_place(text),
        Part::ToolCall { arguments, .. } => secrets::redact_json(arguments),
        Part::ToolResult { content, .. } => secrets::redact_in_place(content),
    }
}
