//! Writing a run's transcript: messages and parts are stored as they complete, and every
//! change is published as a `session.part` event (streamed deltas in this process only).

use std::sync::Arc;
use std::time::Duration;

use crate::engine::Shared;
use crate::error::Result;
use crate::events::{Event, EventRecord};
use crate::ids::{AutomationId, RunId, SessionId};
use crate::secrets;
use crate::store;
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
        let mut conn = shared.store.pool().acquire().await?;
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
        let mut conn = self.shared.store.pool().acquire().await?;
        store::transcripts::session_messages(&mut conn, &self.session_id).await
    }

    /// Starts a message; its parts follow.
    pub async fn message(&mut self, role: Role) -> Result<MessageWriter> {
        let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        let mut conn = self.shared.store.pool().acquire().await?;
        store::transcripts::insert_message(
            &mut conn,
            &id,
            &self.session_id,
            &self.run_id,
            self.next_seq,
            role,
            self.shared.clock.now(),
        )
        .await?;
        self.next_seq += 1;
        Ok(MessageWriter {
            shared: self.shared.clone(),
            run_id: self.run_id.clone(),
            session_id: self.session_id.clone(),
            message_id: id,
            role,
            next_part: 0,
        })
    }
}

pub(crate) struct MessageWriter {
    shared: Arc<Shared>,
    run_id: RunId,
    session_id: SessionId,
    message_id: String,
    role: Role,
    next_part: u32,
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
        self.shared.bus.publish(EventRecord {
            seq: 0,
            at: self.shared.clock.now(),
            event,
        });
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
        self.shared.bus.publish(EventRecord {
            seq: 0,
            at: self.shared.clock.now(),
            event,
        });
    }

    /// Stores a finished part and publishes it.
    pub async fn part(&mut self, mut part: Part) -> Result<()> {
        redact_part(&mut part);
        let index = self.next_part;
        self.next_part += 1;
        let mut tx = self.shared.store.begin_write().await?;
        store::transcripts::insert_part(
            &mut tx,
            &self.message_id,
            index,
            &part,
            self.shared.clock.now(),
        )
        .await?;
        let event = self.update(index, PartChange::Complete { part });
        self.shared.recorder.commit(tx, vec![event]).await
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
