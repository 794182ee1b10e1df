//! `autowork run-now`: queue a run, drive it in this process and follow it to its end. The
//! transcript streams as it comes (stdout, or stderr with `--json` so stdout holds only the
//! final run); attended runs prompt on this terminal for permissions and answers; Ctrl-C
//! cancels the run.

use std::collections::HashSet;
use std::io::{self, BufRead, IsTerminal};
use std::pin::pin;
use std::time::Duration;

use autowork_core::events::Event;
use autowork_core::ids::{AutomationId, BlockerId, RunId};
use autowork_core::ledger::{Attendance, Blocker, PermissionDecision, Question, Run, RunState};
use autowork_core::{ApiError, Engine, Error};
use tokio::sync::{broadcast, mpsc};

use crate::args::{FollowUpArgs, RunNowArgs};
use crate::output::{clip, emit, emit_json, Failure, Outcome};
use crate::runs;
use crate::transcript::more_lines;
use crate::transcript::{Printer, Sink};

/// How often the run is re-read, in case an event was missed.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Lines of a permission's preview (a diff, say) shown before asking.
const PREVIEW_LINES: usize = 40;
/// The exit code of a command interrupted by Ctrl-C (128 + SIGINT).
const INTERRUPTED: u8 = 130;

pub async fn run(engine: &Engine, args: RunNowArgs, json: bool) -> Outcome {
    let id = AutomationId::from(args.id.as_str());
    drive(
        engine,
        json,
        attended(args.attended, args.unattended),
        |attendance| engine.run_now(&id, attendance),
    )
    .await
}

/// `autowork run follow-up`: queues a run that continues another's conversation, and follows
/// it as `run-now` does.
pub async fn follow_up(engine: &Engine, args: FollowUpArgs, json: bool) -> Outcome {
    let parent = RunId::from(args.id.as_str());
    drive(
        engine,
        json,
        attended(args.attended, args.unattended),
        |attendance| engine.follow_up(&parent, &args.message, attendance),
    )
    .await
}

/// Attended when asked, or by default when stdin is a terminal to ask on.
fn attended(attended: bool, unattended: bool) -> bool {
    if attended {
        true
    } else if unattended {
        false
    } else {
        io::stdin().is_terminal()
    }
}

/// Queues a run with `start`, drives it in this process and follows it to its end.
async fn drive<F, Fut>(engine: &Engine, json: bool, attended: bool, start: F) -> Outcome
where
    F: FnOnce(Attendance) -> Fut,
    Fut: std::future::Future<Output = Result<Run, Error>>,
{
    // `--wait` changes nothing: the run executes in this process, so it always waits.
    let attendance = if attended {
        Attendance::Attended
    } else {
        Attendance::Unattended
    };
    let mut ctrl_c = pin!(tokio::signal::ctrl_c());
    // Poll once now, so the handler is in place before the run starts.
    let mut interruptible = true;
    tokio::select! {
        biased;
        signal = &mut ctrl_c => match signal {
            Ok(()) => return Err(Failure::Exit(INTERRUPTED)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                interruptible = false;
            }
        },
        () = std::future::ready(()) => {}
    }

    // Subscribed before the run exists, so none of its events is missed.
    let mut events = engine.subscribe();
    let run = start(attendance).await?;
    let mut follow = Follow {
        engine,
        run_id: run.id.clone(),
        printer: Printer::new(if json { Sink::Stderr } else { Sink::Stdout }),
        input: attended.then(start_reading_stdin),
        echo: !io::stdin().is_terminal(),
        revision: 0,
        seen_blockers: HashSet::new(),
        prompt: None,
    };
    let following = match &run.follow_up {
        Some(follow_up) => format!(", following up {}", follow_up.of),
        None => String::new(),
    };
    let where_it_runs = match &run.worker {
        Some(_) => "it runs as long as this command",
        // A team database's worker on the machine that has the folder takes it.
        None => "a worker that serves its folder runs it; followed here",
    };
    follow.printer.block(&format!(
        "run {} of {} queued ({}{following}); {where_it_runs}, Ctrl-C cancels it\n",
        run.id, run.automation_id, run.attendance
    ));
    if let Ok(Some(place)) = engine.queue_place(&run.id).await {
        if place.must_wait() {
            follow.printer.block(&format!("{}\n", place.describe()));
        }
    }

    let end = follow.until_end(&mut events, ctrl_c, interruptible).await?;
    follow.printer.finish();
    match end {
        End::Finished(run) => {
            print_final(engine, &run, json).await?;
            if run.state == RunState::Succeeded {
                Ok(())
            } else {
                Err(Failure::Exit(1))
            }
        }
        End::Interrupted => {
            follow.printer.block("interrupted: cancelling the run\n");
            let run = match engine.cancel_run(&follow.run_id).await {
                Ok(run) => run,
                // It ended meanwhile: show how.
                Err(_) => engine.get_run(&follow.run_id).await?,
            };
            print_final(engine, &run, json).await?;
            Err(Failure::Exit(INTERRUPTED))
        }
    }
}

async fn print_final(engine: &Engine, run: &Run, json: bool) -> Outcome {
    let busy = runs::busy_note(engine, run).await;
    if json {
        if let Some(why) = ending(run) {
            match busy {
                Some(busy) => eprintln!("run {} {why}: {busy}", run.id),
                None => eprintln!("run {} {why}", run.id),
            }
        }
        emit_json(run)
    } else {
        emit(&format!(
            "\n{}",
            runs::view_with(run, None, busy.as_deref())
        ))
    }
}

/// `failed (step_cap): ...` or `stopped (cancelled)`; none for a success.
fn ending(run: &Run) -> Option<String> {
    match (&run.error, run.stop_reason) {
        (Some(error), _) => Some(format!(
            "{} ({}): {}",
            run.state,
            error.code.as_str(),
            error.message
        )),
        (None, Some(reason)) => Some(format!("{} ({})", run.state, reason.as_str())),
        (None, None) if run.state != RunState::Succeeded => Some(run.state.to_string()),
        (None, None) => None,
    }
}

enum End {
    Finished(Box<Run>),
    Interrupted,
}

/// Lines typed on stdin, read by a thread of their own (a blocked read must not hold up the
/// runtime, nor its shutdown). The channel closes at end of input.
fn start_reading_stdin() -> mpsc::UnboundedReceiver<String> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            for line in io::stdin().lock().lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        // The receiver closes at once: the run is then answered elsewhere.
        tracing::warn!(error = %e, "cannot read stdin");
    }
    receiver
}

struct Follow<'a> {
    engine: &'a Engine,
    run_id: RunId,
    printer: Printer,
    /// Stdin's lines while it is open, for attended runs.
    input: Option<mpsc::UnboundedReceiver<String>>,
    /// Whether to echo answers (stdin is not a terminal, so nothing else shows them).
    echo: bool,
    /// The highest revision of the run seen.
    revision: u64,
    /// Blockers already shown, so a re-read of the run does not ask again.
    seen_blockers: HashSet<BlockerId>,
    prompt: Option<Prompt>,
}

impl Follow<'_> {
    async fn until_end(
        &mut self,
        events: &mut broadcast::Receiver<autowork_core::events::EventRecord>,
        mut ctrl_c: std::pin::Pin<&mut impl std::future::Future<Output = io::Result<()>>>,
        mut interruptible: bool,
    ) -> Result<End, Failure> {
        let mut listening = true;
        let mut poll = tokio::time::interval(POLL_INTERVAL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let asking = self.prompt.is_some() && self.input.is_some();
            tokio::select! {
                signal = ctrl_c.as_mut(), if interruptible => match signal {
                    Ok(()) => return Ok(End::Interrupted),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                        interruptible = false;
                    }
                },
                received = events.recv(), if listening => match received {
                    Ok(record) => match record.event {
                        Event::RunUpdated(run) if run.id == self.run_id => {
                            if let Some(run) = self.on_run(run) {
                                return Ok(End::Finished(Box::new(run)));
                            }
                        }
                        Event::SessionPart(update) if update.run_id == self.run_id => {
                            self.printer.update(&update);
                        }
                        _ => {}
                    },
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        self.printer
                            .block(&format!("(… {skipped} updates skipped: output fell behind)\n"));
                        let run = self.engine.get_run(&self.run_id).await?;
                        if let Some(run) = self.on_run(run) {
                            return Ok(End::Finished(Box::new(run)));
                        }
                    }
                    // Not while the engine is open; the poll still sees the end.
                    Err(broadcast::error::RecvError::Closed) => listening = false,
                },
                line = next_line(&mut self.input), if asking => match line {
                    Some(line) => self.on_line(&line).await?,
                    None => {
                        self.input = None;
                        if let Some(prompt) = self.prompt.take() {
                            self.printer.block("(stdin closed)\n");
                            self.printer.block(&hint(&prompt.blocker));
                        }
                    }
                },
                _ = poll.tick() => {
                    let run = self.engine.get_run(&self.run_id).await?;
                    if let Some(run) = self.on_run(run) {
                        return Ok(End::Finished(Box::new(run)));
                    }
                }
            }
        }
    }

    /// Takes in a newer state of the run; returns it when it is the end.
    fn on_run(&mut self, run: Run) -> Option<Run> {
        if run.revision < self.revision {
            return None;
        }
        self.revision = run.revision;
        if run.state.is_terminal() {
            return Some(run);
        }
        let current = run.blocker.as_ref().map(Blocker::id);
        if let Some(prompt) = &self.prompt {
            if current != Some(prompt.blocker.id()) {
                self.prompt = None;
                self.printer.block("(answered elsewhere)\n");
            }
        }
        if let Some(blocker) = run.blocker {
            if self.seen_blockers.insert(blocker.id().clone()) {
                self.raised(blocker);
            }
        }
        None
    }

    fn raised(&mut self, blocker: Blocker) {
        self.printer.block(&describe(&blocker));
        if self.input.is_none() {
            self.printer.block(&hint(&blocker));
            return;
        }
        let prompt = Prompt::new(blocker);
        self.printer.prompt(&prompt.ask());
        self.prompt = Some(prompt);
    }

    async fn on_line(&mut self, line: &str) -> Outcome {
        let Some(prompt) = &mut self.prompt else {
            return Ok(());
        };
        self.printer.answered(line, self.echo);
        match prompt.feed(line) {
            Step::Ask(text) => {
                self.printer.prompt(&text);
                Ok(())
            }
            Step::Done(answer) => {
                let Some(prompt) = self.prompt.take() else {
                    return Ok(());
                };
                let id = prompt.blocker.id();
                let sent = match answer {
                    Answer::Permission(decision, message) => {
                        self.engine.reply_permission(id, decision, message).await
                    }
                    Answer::Questions(answers) => self.engine.answer_question(id, answers).await,
                };
                match sent {
                    Ok(run) => {
                        // Already the end (say, cancelled meanwhile): the poll reports it.
                        let _ = self.on_run(run);
                    }
                    Err(Error::RequestNotPending { .. }) => self
                        .printer
                        .block("(the request is no longer pending: answered elsewhere, or the run ended)\n"),
                    Err(e) => {
                        let error = ApiError::from(e);
                        self.printer
                            .block(&format!("could not answer: {}\n", error.message()));
                        self.printer.block(&hint(&prompt.blocker));
                    }
                }
                Ok(())
            }
        }
    }
}

async fn next_line(input: &mut Option<mpsc::UnboundedReceiver<String>>) -> Option<String> {
    match input {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// What the run waits for, as lines.
fn describe(blocker: &Blocker) -> String {
    match blocker {
        Blocker::Permission {
            tool,
            summary,
            preview,
            reason,
            always,
            always_options,
            ..
        } => {
            let mut text = format!("\n? permission needed ({tool}): {}\n", clip(summary, 200));
            if let Some(reason) = reason {
                text.push_str(&format!("  why: {}\n", clip(reason, 300)));
            }
            if always.is_empty() {
                text.push_str("  \"always\" is not offered: no rule can allow this call, it can only be allowed once\n");
            } else {
                for rule in always {
                    text.push_str(&format!("  always would add: {rule}\n"));
                }
                // Wider choices, for `autowork reply ID always --choice N`.
                for (n, option) in always_options.iter().enumerate().skip(1) {
                    text.push_str(&format!("  or, with --choice {n}: {}\n", option.label));
                }
            }
            if let Some(preview) = preview {
                let lines: Vec<&str> = preview.lines().collect();
                for line in lines.iter().take(PREVIEW_LINES) {
                    text.push_str(&format!("    {line}\n"));
                }
                if lines.len() > PREVIEW_LINES {
                    text.push_str(&more_lines(lines.len() - PREVIEW_LINES));
                }
            }
            text
        }
        Blocker::Question { questions, .. } => {
            let count = questions.len();
            let plural = if count == 1 { "" } else { "s" };
            format!("\n? the agent asks {count} question{plural}\n")
        }
    }
}

/// How to answer from another terminal.
fn hint(blocker: &Blocker) -> String {
    match blocker {
        Blocker::Permission { request_id, .. } => format!(
            "waiting for input; answer with: autowork reply {request_id} once|always|reject [--choice N] [--message M]\n"
        ),
        Blocker::Question {
            call_id, questions, ..
        } => format!(
            "waiting for input; answer with: autowork answer {call_id} ANSWER... ({} answer{})\n",
            questions.len(),
            if questions.len() == 1 { "" } else { "s" }
        ),
    }
}

/// An answer being read from stdin, a line at a time.
struct Prompt {
    blocker: Blocker,
    /// After a reject: the optional message comes next.
    rejecting: bool,
    answers: Vec<String>,
}

enum Step {
    /// Print this and read another line.
    Ask(String),
    Done(Answer),
}

enum Answer {
    Permission(PermissionDecision, Option<String>),
    Questions(Vec<String>),
}

impl Prompt {
    fn new(blocker: Blocker) -> Self {
        Self {
            blocker,
            rejecting: false,
            answers: Vec::new(),
        }
    }

    fn questions(&self) -> &[Question] {
        match &self.blocker {
            Blocker::Question { questions, .. } => questions,
            Blocker::Permission { .. } => &[],
        }
    }

    /// What to ask next.
    fn ask(&self) -> String {
        if matches!(self.blocker, Blocker::Permission { .. }) {
            return if self.rejecting {
                "message for the agent (optional, Enter to skip): ".into()
            } else {
                "allow? [o]nce / [a]lways / [r]eject: ".into()
            };
        }
        let questions = self.questions();
        let Some(question) = questions.get(self.answers.len()) else {
            return String::new();
        };
        let mut text = if questions.len() > 1 {
            format!(
                "({}/{}) {}\n",
                self.answers.len() + 1,
                questions.len(),
                question.question
            )
        } else {
            format!("{}\n", question.question)
        };
        for (i, choice) in question.choices.iter().enumerate() {
            text.push_str(&format!("  {}) {choice}\n", i + 1));
        }
        text.push_str(if question.choices.is_empty() {
            "answer: "
        } else {
            "answer (a number, or your own words): "
        });
        text
    }

    fn feed(&mut self, line: &str) -> Step {
        if matches!(self.blocker, Blocker::Permission { .. }) {
            if self.rejecting {
                let message = line.trim();
                let message = (!message.is_empty()).then(|| message.to_owned());
                return Step::Done(Answer::Permission(PermissionDecision::Reject, message));
            }
            return match line.trim().to_ascii_lowercase().as_str() {
                "o" | "once" => Step::Done(Answer::Permission(PermissionDecision::Once, None)),
                "a" | "always" => Step::Done(Answer::Permission(PermissionDecision::Always, None)),
                "r" | "reject" => {
                    self.rejecting = true;
                    Step::Ask(self.ask())
                }
                _ => Step::Ask(format!("please type o, a or r. {}", self.ask())),
            };
        }
        let Some(question) = self.questions().get(self.answers.len()) else {
            return Step::Done(Answer::Questions(std::mem::take(&mut self.answers)));
        };
        if line.trim().is_empty() {
            return Step::Ask(self.ask());
        }
        let picked = line
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| question.choices.get(i));
        let answer = picked.cloned().unwrap_or_else(|| line.to_owned());
        self.answers.push(answer);
        if self.answers.len() < self.questions().len() {
            Step::Ask(self.ask())
        } else {
            Step::Done(Answer::Questions(std::mem::take(&mut self.answers)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn question_blocker() -> Blocker {
        Blocker::Question {
            call_id: BlockerId::from("call_1"),
            questions: vec![
                Question {
                    question: "Which branch?".into(),
                    choices: vec!["main".into(), "dev".into()],
                },
                Question {
                    question: "Why?".into(),
                    choices: Vec::new(),
                },
            ],
        }
    }

    fn done(step: Step) -> Answer {
        match step {
            Step::Done(answer) => answer,
            Step::Ask(text) => panic!("expected an answer, got the prompt {text:?}"),
        }
    }

    #[test]
    fn a_number_picks_a_choice_and_other_text_is_taken_as_is() {
        let mut prompt = Prompt::new(question_blocker());
        assert!(prompt
            .ask()
            .starts_with("(1/2) Which branch?\n  1) main\n  2) dev\n"));
        assert!(matches!(prompt.feed("2"), Step::Ask(text) if text.starts_with("(2/2) Why?")));
        match done(prompt.feed("because 3 is late")) {
            Answer::Questions(answers) => assert_eq!(answers, ["dev", "because 3 is late"]),
            Answer::Permission(..) => panic!("not a permission"),
        }
    }

    #[test]
    fn reject_asks_for_an_optional_message() {
        let blocker = Blocker::Permission {
            request_id: BlockerId::from("req_1"),
            tool: "bash".into(),
            summary: "run `rm -rf target`".into(),
            preview: None,
            reason: None,
            always: vec!["allow exactly: rm -rf target".into()],
            always_options: Vec::new(),
        };
        let mut prompt = Prompt::new(blocker.clone());
        assert!(matches!(prompt.feed("maybe"), Step::Ask(text) if text.starts_with("please")));
        assert!(matches!(prompt.feed("r"), Step::Ask(text) if text.starts_with("message")));
        match done(prompt.feed("not the cache")) {
            Answer::Permission(decision, message) => {
                assert_eq!(decision, PermissionDecision::Reject);
                assert_eq!(message.as_deref(), Some("not the cache"));
            }
            Answer::Questions(_) => panic!("not a question"),
        }
        let mut prompt = Prompt::new(blocker);
        match done(prompt.feed("A")) {
            Answer::Permission(decision, message) => {
                assert_eq!((decision, message), (PermissionDecision::Always, None));
            }
            Answer::Questions(_) => panic!("not a question"),
        }
    }
}
