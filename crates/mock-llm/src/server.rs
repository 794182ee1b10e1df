//! The HTTP server: one handler that records each request, checks it and answers from the script.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::record::RecordedRequest;
use crate::script::Script;
use crate::wire::Protocol;

mod decide;

/// Agent conversations carry whole files; axum's 2 MiB default would refuse long runs.
const BODY_LIMIT: usize = 64 * 1024 * 1024;
/// How long `shutdown` waits for open connections before aborting the server task.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running mock model server on 127.0.0.1. Stops on [`MockServer::shutdown`] or on drop.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

#[derive(Debug)]
struct Shared {
    script: Script,
    stop: CancellationToken,
    state: Mutex<Progress>,
    /// The last request the quick check passed (`decide::quick`).
    known: Mutex<Option<decide::Known>>,
}

#[derive(Debug, Default)]
struct Progress {
    turns_used: usize,
    requests: Vec<Recorded>,
}

/// A request as recorded: its body kept as received and parsed only when a test asks for
/// it, since a well-formed request is answered without its tree (`decide::quick`).
#[derive(Debug)]
struct Recorded {
    /// With a `Null` body, filled in from `raw` by [`MockServer::requests`].
    request: RecordedRequest,
    raw: Bytes,
}

impl MockServer {
    /// Starts serving `script` on a free port of 127.0.0.1.
    pub async fn start(script: Script) -> anyhow::Result<MockServer> {
        MockServer::start_on(script, 0).await
    }

    /// Starts serving `script` on 127.0.0.1:`port` (`0` picks a free port).
    pub async fn start_on(script: Script, port: u16) -> anyhow::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}; is the port taken?"))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script,
            stop: CancellationToken::new(),
            state: Mutex::new(Progress::default()),
            known: Mutex::new(None),
        });
        let router = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(Arc::clone(&shared));
        let stopped = shared.stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        });
        Ok(MockServer {
            addr,
            shared,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; clients append `/v1/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        let recorded: Vec<(RecordedRequest, Bytes)> = self.shared.progress(|p| {
            p.requests
                .iter()
                .map(|r| (r.request.clone(), r.raw.clone()))
                .collect()
        });
        recorded
            .into_iter()
            .map(|(request, raw)| RecordedRequest {
                body: parse_body(&raw).0,
                ..request
            })
            .collect()
    }

    /// The protocol errors and unmet expectations seen so far, in order.
    pub fn protocol_errors(&self) -> Vec<String> {
        self.shared.progress(|p| {
            p.requests
                .iter()
                .filter_map(|r| r.request.protocol_error.clone())
                .collect()
        })
    }

    /// How many script turns have been consumed.
    pub fn turns_used(&self) -> usize {
        self.shared.progress(|p| p.turns_used)
    }

    /// Stops accepting, ends hanging and streaming answers, and waits for the server task.
    pub async fn shutdown(mut self) {
        self.shared.stop.cancel();
        let Some(mut task) = self.task.take() else {
            return;
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => tracing::warn!("mock server stopped with an error: {err}"),
            Ok(Err(err)) => tracing::warn!("mock server task failed: {err}"),
            Err(_) => {
                tracing::warn!(
                    "mock server connections still open after {SHUTDOWN_GRACE:?}; aborting"
                );
                task.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Graceful: the task sees the token, closes idle connections and ends by itself.
        self.shared.stop.cancel();
    }
}

impl Shared {
    fn progress<T>(&self, read: impl FnOnce(&mut Progress) -> T) -> T {
        let mut progress = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        read(&mut progress)
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let protocol = Protocol::for_path(&path);
    // Read outside the lock: a long conversation takes a while even to check.
    let read = match decide::quick(&method, &path, &raw, &shared.known) {
        Some(quick) => Read::Checked(quick),
        None => {
            let (body, parse_error) = parse_body(&raw);
            Read::Tree(body, parse_error)
        }
    };
    let (answer, delay_ms, status, protocol_error, error) = shared.progress(|progress| {
        let decided = match read {
            Read::Checked(quick) => {
                decide::decide_checked(&shared.script, progress, &method, &path, &raw, quick)
            }
            Read::Tree(body, parse_error) => decide::decide(
                &shared.script,
                progress,
                &method,
                &path,
                &body,
                parse_error,
                raw.len(),
            ),
        };
        let record = RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            body: Value::Null,
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            response_status: decided.answer.status(),
            turn: decided.turn,
            protocol_error: decided.protocol_error,
            error: decided.error,
        };
        let (status, protocol_error, error) = (
            record.response_status,
            record.protocol_error.clone(),
            record.error.clone(),
        );
        progress.requests.push(Recorded {
            request: record,
            raw: raw.clone(),
        });
        (
            decided.answer,
            decided.delay_ms,
            status,
            protocol_error,
            error,
        )
    });
    match (protocol_error, error) {
        (Some(problem), _) => {
            tracing::warn!("{method} {path} -> {status} (protocol error: {problem})")
        }
        (None, Some(error)) => tracing::info!("{method} {path} -> {status} ({error})"),
        (None, None) => tracing::info!("{method} {path} -> {status}"),
    }
    answer.send(delay_ms, protocol, shared.stop.clone()).await
}

/// A request's body as the server read it.
enum Read {
    /// Found well formed by the quick check.
    Checked(decide::Quick),
    /// The JSON tree (`Null` when empty, the text when not JSON, with the parse error).
    Tree(Value, Option<String>),
}

fn parse_body(raw: &[u8]) -> (Value, Option<String>) {
    if raw.is_empty() {
        return (Value::Null, None);
    }
    match serde_json::from_slice(raw) {
        Ok(value) => (value, None),
        Err(err) => (
            Value::String(String::from_utf8_lossy(raw).into_owned()),
            Some(format!("request body is not valid JSON: {err}")),
        ),
    }
}
