//! How a decided answer goes out on the wire: a JSON body, a paced event stream, or nothing.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::wire::Protocol;

/// Where a stream stops early, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Frames sent before the cut.
    pub after: usize,
    /// End the body normally instead of dropping the connection.
    pub close: bool,
}

/// What to send for one request, decided while the script was locked.
#[derive(Debug)]
pub(crate) enum Answer {
    Json {
        status: u16,
        body: Value,
        retry_after: Option<u64>,
    },
    /// Frames sent one by one; with `cut`, the stream stops after that many.
    Stream {
        content_type: &'static str,
        frames: Vec<String>,
        cut: Option<Cut>,
        chunk_delay_ms: u64,
        /// At most this many bytes per write; a frame may take several.
        write_bytes: Option<usize>,
    },
    /// Never answer: wait until the client goes away (its future is dropped) or the server stops.
    Hang,
}

impl Answer {
    pub fn status(&self) -> u16 {
        match self {
            Answer::Json { status, .. } => *status,
            Answer::Stream { .. } => 200,
            Answer::Hang => 0,
        }
    }

    /// Waits `delay_ms`, then sends; a server stopping meanwhile answers 503 instead.
    pub async fn send(
        self,
        delay_ms: u64,
        protocol: Protocol,
        stop: CancellationToken,
    ) -> Response {
        let stopping = || {
            json_response(
                503,
                &protocol.error_body(503, "mock server is shutting down"),
                None,
            )
        };
        if delay_ms > 0 {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
                () = stop.cancelled() => return stopping(),
            }
        }
        match self {
            Answer::Json {
                status,
                body,
                retry_after,
            } => json_response(status, &body, retry_after),
            Answer::Hang => {
                stop.cancelled().await;
                stopping()
            }
            Answer::Stream {
                content_type,
                frames,
                cut,
                chunk_delay_ms,
                write_bytes,
            } => {
                let paced = Paced {
                    frames: frames.into(),
                    pieces: VecDeque::new(),
                    write_bytes: write_bytes.unwrap_or(usize::MAX).max(1),
                    sent: 0,
                    cut,
                    delay: Duration::from_millis(chunk_delay_ms),
                    stop,
                    done: false,
                };
                let body = Body::from_stream(futures_util::stream::unfold(paced, Paced::next));
                let mut response = body.into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
        }
    }
}

pub(crate) fn json_response(status: u16, body: &Value, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// How long a cut stream pauses before dropping the connection.
const FLUSH_PAUSE: Duration = Duration::from_millis(20);

/// The state of a stream being sent.
struct Paced {
    frames: VecDeque<String>,
    /// The rest of the frame being written, when it takes several writes.
    pieces: VecDeque<Bytes>,
    write_bytes: usize,
    sent: usize,
    cut: Option<Cut>,
    delay: Duration,
    stop: CancellationToken,
    done: bool,
}

impl Paced {
    /// The next frame; an `Err` makes the server drop the connection mid-body, as a cut does.
    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Paced)> {
        if self.done {
            return None;
        }
        if let Some(piece) = self.pieces.pop_front() {
            return Some((Ok(piece), self));
        }
        if let Some(at) = self.cut.filter(|c| c.after == self.sent) {
            self.done = true;
            if at.close {
                return None;
            }
            // Hyper drops its unflushed buffer on a body error; pausing first lets the
            // frames before the cut reach the client, as they would from a real provider.
            tokio::time::sleep(FLUSH_PAUSE).await;
            return Some((Err(cut("the script cut the stream here")), self));
        }
        let frame = self.frames.pop_front()?;
        if self.sent > 0 && !self.delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(self.delay) => {}
                () = self.stop.cancelled() => {
                    self.done = true;
                    return Some((Err(cut("the mock server is shutting down")), self));
                }
            }
        }
        self.sent += 1;
        let frame = Bytes::from(frame);
        if frame.len() <= self.write_bytes {
            return Some((Ok(frame), self));
        }
        let mut offset = 0;
        while offset < frame.len() {
            let end = frame.len().min(offset + self.write_bytes);
            self.pieces.push_back(frame.slice(offset..end));
            offset = end;
        }
        let first = self.pieces.pop_front()?;
        Some((Ok(first), self))
    }
}

fn cut(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, why.to_owned())
}
