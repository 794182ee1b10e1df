//! Sessions, messages and parts.

use chrono::{DateTime, Utc};
use sqlx::{Encode, FromRow, QueryBuilder, Type};

use super::backend::{on_both_backends, Backend};

use crate::error::{Error, Result};
use crate::ids::{AutomationId, RunId, SessionId};
use crate::model::time::{from_millis, to_millis};
use crate::model::transcript::{Message, Part, Role};

/// Transcript rows to write with the next outbox insert (`events::append_after`): a step's
/// message rows and parts, staged as plain values so that either backend writes them.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    messages: Vec<MessageRow>,
    parts: Vec<PartRow>,
}

#[derive(Debug)]
struct MessageRow {
    id: String,
    session_id: String,
    run_id: String,
    seq: i64,
    role: &'static str,
    created_at: i64,
}

#[derive(Debug)]
struct PartRow {
    id: String,
    message_id: String,
    seq: i64,
    kind: &'static str,
    text: String,
    tool_call_id: Option<String>,
    tool_name: Option<String>,
    tool_arguments: Option<String>,
    is_error: bool,
    created_at: i64,
}

impl Staged {
    /// Adds the message rows as one statement to `sql`, binding them where they are (the
    /// rows stay for another try when the write fails); the rows it will write.
    pub(crate) fn push_messages<'a, DB: Backend>(&'a self, sql: &mut QueryBuilder<'a, DB>) -> u64
    where
        &'a str: Encode<'a, DB> + Type<DB>,
        i64: Encode<'a, DB> + Type<DB>,
    {
        if self.messages.is_empty() {
            return 0;
        }
        sql.push("INSERT INTO messages (id, session_id, run_id, seq, role, created_at) ");
        sql.push_values(&self.messages, |mut row, message| {
            row.push_bind(message.id.as_str())
                .push_bind(message.session_id.as_str())
                .push_bind(message.run_id.as_str())
                .push_bind(message.seq)
                .push_bind(message.role)
                .push_bind(message.created_at);
        });
        sql.push(";");
        self.messages.len() as u64
    }

    /// Adds the parts as one statement to `sql`, binding them where they are; the rows it
    /// will write.
    pub(crate) fn push_parts<'a, DB: Backend>(&'a self, sql: &mut QueryBuilder<'a, DB>) -> u64
    where
        &'a str: Encode<'a, DB> + Type<DB>,
        Option<&'a str>: Encode<'a, DB> + Type<DB>,
        i64: Encode<'a, DB> + Type<DB>,
        bool: Encode<'a, DB> + Type<DB>,
    {
        if self.parts.is_empty() {
            return 0;
        }
        sql.push(
            "INSERT INTO parts (id, message_id, seq, kind, text, tool_call_id, tool_name,
                tool_arguments, is_error, created_at) ",
        );
        sql.push_values(&self.parts, |mut row, part| {
            row.push_bind(part.id.as_str())
                .push_bind(part.message_id.as_str())
                .push_bind(part.seq)
                .push_bind(part.kind)
                .push_bind(part.text.as_str())
                .push_bind(part.tool_call_id.as_deref())
                .push_bind(part.tool_name.as_deref())
                .push_bind(part.tool_arguments.as_deref())
                .push_bind(part.is_error)
                .push_bind(part.created_at);
        });
        sql.push(";");
        self.parts.len() as u64
    }
}

/// Stages a message's row.
pub(crate) fn push_message(
    staged: &mut Staged,
    id: &str,
    session: &SessionId,
    run: &RunId,
    seq: u32,
    role: Role,
    now: DateTime<Utc>,
) {
    staged.messages.push(MessageRow {
        id: id.to_owned(),
        session_id: session.as_str().to_owned(),
        run_id: run.as_str().to_owned(),
        seq: i64::from(seq),
        role: role.as_str(),
        created_at: to_millis(now),
    });
}

/// Stages the parts of a message, numbered from `first_index`.
pub(crate) fn push_parts(
    staged: &mut Staged,
    message_id: &str,
    first_index: u32,
    parts: &[Part],
    now: DateTime<Utc>,
) {
    // Owned: the parts go on to their events before the rows are written.
    staged
        .parts
        .extend((i64::from(first_index)..).zip(parts).map(|(seq, part)| {
            let (text, tool_call_id, tool_name, tool_arguments, is_error) = match part {
                Part::Text { text }
                | Part::Reasoning { text }
                | Part::Error { text }
                | Part::Notice { text } => (text.clone(), None, None, None, false),
                Part::ToolCall {
                    tool_call_id,
                    tool_name,
                    arguments,
                } => (
                    String::new(),
                    Some(tool_call_id.clone()),
                    Some(tool_name.clone()),
                    Some(arguments.to_string()),
                    false,
                ),
                Part::ToolResult {
                    tool_call_id,
                    tool_name,
                    content,
                    is_error,
                } => (
                    content.clone(),
                    Some(tool_call_id.clone()),
                    Some(tool_name.clone()),
                    None,
                    *is_error,
                ),
            };
            PartRow {
                id: format!("prt_{}", uuid::Uuid::now_v7().simple()),
                message_id: message_id.to_owned(),
                seq,
                kind: part.kind(),
                text,
                tool_call_id,
                tool_name,
                tool_arguments,
                is_error,
                created_at: to_millis(now),
            }
        }));
}

#[derive(FromRow)]
struct Row {
    message_id: String,
    session_id: String,
    run_id: Option<String>,
    message_seq: i64,
    role: String,
    message_created_at: i64,
    kind: Option<String>,
    text: Option<String>,
    tool_call_id: Option<String>,
    tool_name: Option<String>,
    tool_arguments: Option<String>,
    is_error: Option<bool>,
}

fn part_from_row(row: &Row) -> Result<Option<Part>> {
    let Some(kind) = row.kind.as_deref() else {
        return Ok(None);
    };
    let text = row.text.clone().unwrap_or_default();
    let call_id = || {
        row.tool_call_id
            .clone()
            .ok_or_else(|| Error::Corrupt(format!("a {kind} part has no tool call id")))
    };
    let part = match kind {
        "text" => Part::Text { text },
        "reasoning" => Part::Reasoning { text },
        "error" => Part::Error { text },
        "notice" => Part::Notice { text },
        "tool_call" => Part::ToolCall {
            tool_call_id: call_id()?,
            tool_name: row.tool_name.clone().unwrap_or_default(),
            arguments: row
                .tool_arguments
                .as_deref()
                .map(|a| serde_json::from_str(a).unwrap_or(serde_json::Value::String(a.to_owned())))
                .unwrap_or(serde_json::Value::Null),
        },
        "tool_result" => Part::ToolResult {
            tool_call_id: call_id()?,
            tool_name: row.tool_name.clone().unwrap_or_default(),
            content: text,
            is_error: row.is_error.unwrap_or(false),
        },
        other => return Err(Error::Corrupt(format!("unknown part kind `{other}`"))),
    };
    Ok(Some(part))
}

const SELECT: &str =
    "SELECT m.id AS message_id, m.session_id, m.run_id, m.seq AS message_seq, m.role,
        m.created_at AS message_created_at, p.kind, p.text, p.tool_call_id, p.tool_name,
        p.tool_arguments, p.is_error
     FROM messages m LEFT JOIN parts p ON p.message_id = m.id";

fn assemble(rows: Vec<Row>) -> Result<Vec<Message>> {
    let mut messages: Vec<Message> = Vec::new();
    for row in rows {
        let part = part_from_row(&row)?;
        if messages.last().map(|m| m.id.as_str()) != Some(row.message_id.as_str()) {
            let role = Role::parse(&row.role)
                .ok_or_else(|| Error::Corrupt(format!("unknown role `{}`", row.role)))?;
            messages.push(Message {
                id: row.message_id.clone(),
                session_id: SessionId::from_string(row.session_id.clone()),
                run_id: row.run_id.clone().map(RunId::from_string),
                seq: u32::try_from(row.message_seq).unwrap_or(0),
                role,
                parts: Vec::new(),
                created_at: from_millis(row.message_created_at),
            });
        }
        if let (Some(part), Some(message)) = (part, messages.last_mut()) {
            message.parts.push(part);
        }
    }
    Ok(messages)
}

on_both_backends! {
    pub(crate) async fn create_session(
        conn: &mut Conn,
        id: &SessionId,
        automation_id: &AutomationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (id, automation_id, created_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(automation_id.as_str())
            .bind(to_millis(now))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The next free message position in a session.
    pub(crate) async fn next_seq(conn: &mut Conn, session: &SessionId) -> Result<u32> {
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE session_id = $1")
                .bind(session.as_str())
                .fetch_one(conn)
                .await?;
        Ok(max.map_or(0, |m| u32::try_from(m + 1).unwrap_or(u32::MAX)))
    }

    /// Every message of a session, in order.
    pub(crate) async fn session_messages(
        conn: &mut Conn,
        session: &SessionId,
    ) -> Result<Vec<Message>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE m.session_id = $1 ORDER BY m.seq, p.seq"
        ))
        .bind(session.as_str())
        .fetch_all(conn)
        .await?;
        assemble(rows)
    }

    /// The messages a run wrote, in order.
    pub(crate) async fn run_messages(conn: &mut Conn, run: &RunId) -> Result<Vec<Message>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE m.run_id = $1 ORDER BY m.seq, p.seq"
        ))
        .bind(run.as_str())
        .fetch_all(conn)
        .await?;
        assemble(rows)
    }

    /// What an automation's runs cost since `since` (for the daily budget).
    pub(crate) async fn automation_cost_since(
        conn: &mut Conn,
        automation: &AutomationId,
        since: DateTime<Utc>,
    ) -> Result<f64> {
        let cost: Option<f64> = sqlx::query_scalar(
            "SELECT SUM(cost_usd) FROM runs WHERE automation_id = $1 AND queued_at >= $2",
        )
        .bind(automation.as_str())
        .bind(to_millis(since))
        .fetch_one(conn)
        .await?;
        Ok(cost.unwrap_or(0.0))
    }
}
