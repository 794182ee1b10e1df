//! The prompt loop: prompt -> model -> tool calls -> results -> model, until the model
//! answers without tool calls, or a limit (step cap, loop gate, budget) ends the run.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Local, TimeZone, Utc};

use super::containment::{self, RunTempDir};
use super::permissions::{self, Rules};
use super::provider::{
    self, ChatMessage, ChatRequest, Delta, ModelToolCall, ProviderSettings, ToolResultMessage,
};
use super::session::{MessageWriter, PendingAnswer, PendingWrite, SessionWriter};
use super::tools::{self, ToolCall, ToolContext};
use super::Agent;
use crate::definition::{ContextMode, PermissionAction};
use crate::executor::{BlockError, Outcome, RunContext};
use crate::ids::BlockerId;
use crate::ledger::{Attendance, Blocker, BlockerReply, ErrorCode, PermissionDecision, Run, Usage};
use crate::secrets;
use crate::transcript::{Message, Part, Role};

/// Calls this many times in a row with the same arguments, or failing the same way this
/// many times, mean the agent is stuck.
const LOOP_GATE: u32 = 3;
const MAX_TOKENS: u32 = 16_384;

fn failed(code: ErrorCode, message: impl Into<String>) -> Outcome {
    Outcome::Failed {
        code,
        message: message.into(),
    }
}

/// Errors of the engine itself (the database) while running.
fn engine_failure(e: crate::error::Error) -> Outcome {
    failed(
        ErrorCode::ExecutionFailed,
        format!("the run could not be recorded: {e}"),
    )
}

pub(super) async fn run(agent: Agent, ctx: RunContext) -> Outcome {
    match Turns::setup(agent, &ctx).await {
        Ok(mut turns) => {
            let outcome = turns.drive(&ctx).await;
            // The run's end is written after everything the run wrote.
            match turns.settled().await {
                Ok(()) => outcome,
                Err(failure) => failure,
            }
        }
        Err(outcome) => outcome,
    }
}

struct Turns {
    provider: Box<dyn provider::Provider>,
    session: SessionWriter,
    /// The run as of its last accounting: the step cap and the budget are checked against
    /// it, so no step reads the run back.
    run: Run,
    messages: Vec<ChatMessage>,
    /// Holds the permission rules, compiled once for the run (`tool_ctx.rules`).
    tool_ctx: ToolContext,
    system: String,
    /// Whether a call may have changed the work area (a write or edit that went through,
    /// or any shell command).
    changed: bool,
    /// The last call's signature and how many times in a row it came.
    repeated: Option<(String, u32)>,
    failures: HashMap<String, u32>,
    /// The last model answer's write, committing while its tool calls are looked at; settled
    /// ([`Turns::settled`]) before anything with an effect.
    unsettled: Option<PendingAnswer>,
    /// Removed when the run ends.
    _temp_dir: RunTempDir,
}

impl Turns {
    async fn setup(agent: Agent, ctx: &RunContext) -> Result<Self, Outcome> {
        let spec = &ctx.automation.spec;
        let settings = ProviderSettings::load(&agent.data_dir)
            .map_err(|e| failed(ErrorCode::ExecutionFailed, e.to_string()))?;
        // Every key a provider could read from the environment is a secret, whichever
        // provider this run uses: a command or an error must not carry any of them.
        let providers = settings.all();
        secrets::register_env(providers.iter().filter_map(|p| p.api_key_env.as_deref()));
        let Some(config) = settings.find(&spec.model.provider_id) else {
            return Err(failed(
                ErrorCode::ExecutionFailed,
                format!(
                    "provider `{0}` is not configured; add it with `autowork provider add --id {0} ...` or under Settings -> Providers",
                    spec.model.provider_id
                ),
            ));
        };
        let provider = provider::connect(&config, agent.http.clone(), agent.policy.clone())
            .await
            .map_err(|e| failed(ErrorCode::ExecutionFailed, e.to_string()))?;

        let continued = match (&ctx.run.follow_up, spec.context, &ctx.automation.session_id) {
            // A follow-up goes on with the conversation of the run it follows up.
            (Some(_), _, _) => ctx.run.session_id.clone(),
            (None, ContextMode::Continue, Some(session)) => Some(session.clone()),
            _ => None,
        };
        let session_id = continued.clone().unwrap_or_default();
        let session = SessionWriter::open(
            ctx.shared.clone(),
            ctx.run.id.clone(),
            &ctx.automation.id,
            session_id.clone(),
            continued.is_none(),
        )
        .await
        .map_err(engine_failure)?;
        let run = ctx
            .attach_session(session_id.clone())
            .await
            .map_err(engine_failure)?;
        if spec.context == ContextMode::Continue && continued.is_none() {
            ctx.remember_session(&session_id)
                .await
                .map_err(engine_failure)?;
        }
        let messages = match continued {
            Some(_) => history_messages(&session.history().await.map_err(engine_failure)?),
            None => Vec::new(),
        };
        let mut tool_ctx = ToolContext::new(ctx.work_dir.clone(), ctx.cancelled());
        tool_ctx.changes = ctx.changes.clone();
        tool_ctx.bash_timeout = agent.bash_timeout;
        let temp_dir = RunTempDir::create(ctx.run.id.as_str()).map_err(|e| {
            failed(
                ErrorCode::ExecutionFailed,
                format!("the run's temp dir could not be created: {e}"),
            )
        })?;
        let contained = containment::plan(
            &spec.sandbox,
            ctx.run.attendance,
            agent.launcher.as_ref(),
            agent.home.as_deref(),
            &tool_ctx.workspace,
            temp_dir.path(),
            &agent.data_dir,
        );
        tool_ctx.containment = contained.containment;
        tool_ctx.temp_dir = Some(temp_dir.path().to_path_buf());
        tool_ctx.env = spec.sandbox.env.clone();
        tool_ctx.rules = Arc::new(Rules::new(spec.permissions.clone()));
        let mut system = system_prompt(ctx);
        if !contained.for_model.is_empty() {
            system.push('\n');
            system.push_str(&contained.for_model);
        }
        let mut turns = Self {
            provider,
            session,
            run,
            messages,
            tool_ctx,
            system,
            changed: false,
            repeated: None,
            failures: HashMap::new(),
            unsettled: None,
            _temp_dir: temp_dir,
        };
        if let Some(notice) = contained.notice {
            turns
                .store_message(Role::Assistant, vec![Part::Notice { text: notice }])
                .await
                .map_err(engine_failure)?;
        }
        Ok(turns)
    }

    async fn drive(&mut self, ctx: &RunContext) -> Outcome {
        let prompt = match &ctx.run.follow_up {
            Some(follow_up) => follow_up.message.clone(),
            None => ctx.automation.spec.prompt.clone(),
        };
        let mut user = self.session.message(Role::User);
        let parts = vec![Part::Text {
            text: prompt.clone(),
        }];
        let mut next = match self.store_before_call(ctx, &mut user, parts).await {
            Ok(next) => next,
            Err(outcome) => return outcome,
        };
        self.messages.push(ChatMessage::User(prompt));
        loop {
            let (writer, opening) = next;
            let (response, tools) = match self.call_model(ctx, writer, opening).await {
                Ok(answer) => answer,
                Err(outcome) => return outcome,
            };
            let Some(mut tools) = tools else {
                if let Err(outcome) = self.settled().await {
                    return outcome;
                }
                if ctx.run.attendance == Attendance::Unattended && !self.changed {
                    if let Err(e) = ctx.file_as_read().await {
                        tracing::warn!(error = %e, "could not file a quiet run as read");
                    }
                }
                return Outcome::Succeeded {
                    result: response.text,
                };
            };
            let calls = response.tool_calls.clone();
            self.messages.push(ChatMessage::Assistant {
                text: response.text,
                tool_calls: calls.clone(),
            });
            let mut results = Vec::with_capacity(calls.len());
            // Each result is stored as soon as the next call is to run; the last one with
            // the next model call's opening.
            let mut last: Option<Part> = None;
            for (index, call) in calls.iter().enumerate() {
                if let Some(part) = last.take() {
                    if let Err(outcome) = self.settled().await {
                        return outcome;
                    }
                    if let Err(e) = tools.part(part).await {
                        return engine_failure(e);
                    }
                }
                let ran = match self.tool_call(ctx, call).await {
                    Ok(ran) => ran,
                    Err(outcome) => {
                        if let Err(failure) = self.settled().await {
                            return failure;
                        }
                        // Answer the calls that will not run, so the session stays valid
                        // for `continue`.
                        let skipped = calls[index + 1..]
                            .iter()
                            .map(|skipped| Part::ToolResult {
                                tool_call_id: skipped.id.clone(),
                                tool_name: skipped.name.clone(),
                                content: "not run: the run ended first".into(),
                                is_error: true,
                            })
                            .collect::<Vec<_>>();
                        if !skipped.is_empty() {
                            let _ = tools.parts(skipped).await;
                        }
                        return outcome;
                    }
                };
                if let Some(stuck) = ran.stuck {
                    if let Err(outcome) = self.settled().await {
                        return outcome;
                    }
                    if let Err(e) = tools.part(ran.part).await {
                        return engine_failure(e);
                    }
                    return stuck;
                }
                results.push(ran.result);
                last = Some(ran.part);
            }
            self.messages.push(ChatMessage::ToolResults(results));
            let last = last.into_iter().collect();
            next = match self.store_before_call(ctx, &mut tools, last).await {
                Ok(next) => next,
                Err(outcome) => return outcome,
            };
        }
    }

    /// Stores `parts`, the last write before a model call, after checking the limits: when
    /// the call is to happen, returns its assistant message and the write, staged to be
    /// committed while the call goes out, that stores `parts` and opens that message;
    /// otherwise stores `parts` and returns the outcome that ends the run.
    async fn store_before_call(
        &mut self,
        ctx: &RunContext,
        writer: &mut MessageWriter,
        parts: Vec<Part>,
    ) -> Result<(MessageWriter, PendingWrite), Outcome> {
        if let Some(stop) = self.limits(ctx).await {
            self.settled().await?;
            writer.parts(parts).await.map_err(engine_failure)?;
            return Err(stop);
        }
        let mut call = self.session.message(Role::Assistant);
        let opening = writer.stage_then(parts, &mut call);
        Ok((call, opening))
    }

    /// Waits until the last model answer is committed (see `unsettled`), and takes the run
    /// as it recorded.
    async fn settled(&mut self) -> Result<(), Outcome> {
        if let Some(answer) = self.unsettled.take() {
            self.run = answer.settle().await.map_err(engine_failure)?;
        }
        Ok(())
    }

    /// Takes the run again once a blocker is answered: the stored run moved on (blocked,
    /// then resumed), and the next step's accounting adds to the run as stored.
    async fn resumed(&mut self, ctx: &RunContext) {
        match ctx.current_run().await {
            Ok(run) => self.run = run,
            // The next step accounts from the stored run anyway, one round trip longer.
            Err(e) => tracing::debug!(error = %e, "could not read the resumed run"),
        }
    }

    /// The step cap and the budgets, checked before each model call (against the run as of
    /// its last accounting: nothing else changes its steps or cost).
    async fn limits(&mut self, ctx: &RunContext) -> Option<Outcome> {
        let spec = &ctx.automation.spec;
        if spec.daily_budget_usd.is_some() {
            // The day's cost is read from the store, where this step's must be first.
            if let Err(outcome) = self.settled().await {
                return Some(outcome);
            }
        }
        let run = &self.run;
        if run.steps >= spec.step_cap {
            return Some(failed(
                ErrorCode::StepCap,
                format!(
                    "the run used all {} steps without finishing; raise the step cap or narrow the prompt",
                    spec.step_cap
                ),
            ));
        }
        if let Some(budget) = spec.budget_usd {
            if run.cost_usd >= budget {
                return Some(failed(
                    ErrorCode::BudgetCap,
                    format!(
                        "the run spent ${:.4}, reaching its budget of ${budget:.2}",
                        run.cost_usd
                    ),
                ));
            }
        }
        if let Some(daily) = spec.daily_budget_usd {
            let now = ctx.shared.clock.now();
            let midnight = now.with_timezone(&Local).date_naive().and_hms_opt(0, 0, 0);
            let since = midnight
                .and_then(|m| Local.from_local_datetime(&m).earliest())
                .map(|m| m.with_timezone(&Utc))
                .unwrap_or(now);
            match ctx.automation_cost_since(since).await {
                Ok(spent) if spent >= daily => {
                    return Some(failed(
                        ErrorCode::BudgetCap,
                        format!("the automation spent ${spent:.4} today, reaching its daily budget of ${daily:.2}"),
                    ))
                }
                Ok(_) => {}
                Err(e) => return Some(engine_failure(e)),
            }
        }
        None
    }

    /// One model call, written by `writer`, made while `opening` (the write that opens its
    /// message) commits. Returns the answer, and the message for its tool results when it
    /// called tools.
    async fn call_model(
        &mut self,
        ctx: &RunContext,
        mut writer: MessageWriter,
        opening: PendingWrite,
    ) -> Result<(provider::ChatResponse, Option<MessageWriter>), Outcome> {
        let spec = &ctx.automation.spec;
        let request = ChatRequest {
            model: &spec.model.model_id,
            system: &self.system,
            messages: &self.messages,
            tools: tools::specs(),
            variant: spec.variant,
            max_tokens: MAX_TOKENS,
        };
        let delta_writer = &writer;
        let on_delta = move |delta: Delta| match delta {
            Delta::Text(text) => delta_writer.delta("text", &text),
            Delta::Reasoning(text) => delta_writer.delta("reasoning", &text),
            Delta::Retrying {
                attempt,
                max_attempts,
                reason,
                wait,
            } => delta_writer.retrying(attempt, max_attempts, &reason, wait),
        };
        // Nothing else is written before both are done, so the run's writes stay in order;
        // a failed write stops the call at once.
        let answered = self.unsettled.take();
        let writes = async move {
            // The last answer first: its write opened the message `opening` adds to.
            let run = match answered {
                Some(answer) => Some(answer.settle().await?),
                None => None,
            };
            opening.commit().await?;
            Ok::<_, crate::error::Error>(run)
        };
        let (response, recorded) = {
            let call = self.provider.complete(request, &on_delta);
            tokio::pin!(call, writes);
            tokio::select! {
                written = &mut writes => {
                    let recorded = written.map_err(engine_failure)?;
                    (call.await, recorded)
                }
                response = &mut call => {
                    (response, writes.await.map_err(engine_failure)?)
                }
            }
        };
        if let Some(run) = recorded {
            self.run = run;
        }
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                let message = e.to_string();
                let _ = writer
                    .part(Part::Error {
                        text: message.clone(),
                    })
                    .await;
                return Err(failed(e.error_code(), message));
            }
        };
        let cost = ctx
            .catalog()
            .find(&spec.model.provider_id, &spec.model.model_id)
            .map_or(0.0, |m| m.cost_usd(response.tokens_in, response.tokens_out));
        let usage = Usage {
            tokens_in: response.tokens_in,
            tokens_out: response.tokens_out,
            cost_usd: cost,
            steps: 1,
        };
        let mut parts = Vec::new();
        if let Some(note) = &response.usage_note {
            parts.push(Part::Notice { text: note.clone() });
        }
        if !response.reasoning.is_empty() {
            parts.push(Part::Reasoning {
                text: response.reasoning.clone(),
            });
        }
        if !response.text.is_empty() {
            parts.push(Part::Text {
                text: response.text.clone(),
            });
        }
        for call in &response.tool_calls {
            parts.push(Part::ToolCall {
                tool_call_id: call.id.clone(),
                tool_name: call.name.clone(),
                arguments: call.arguments.clone(),
            });
        }
        let mut tools = (!response.tool_calls.is_empty()).then(|| self.session.message(Role::Tool));
        let (run, pending) = writer.answer(&self.run, parts, usage, tools.as_mut());
        self.run = run;
        self.unsettled = Some(pending);
        Ok((response, tools))
    }

    /// Runs one tool call: loop gate, permission, the tool itself. The result is for the
    /// transcript and the model; an outcome ends the run.
    async fn tool_call(&mut self, ctx: &RunContext, call: &ModelToolCall) -> Result<Ran, Outcome> {
        let signature = format!("{}:{}", call.name, call.arguments);
        let in_a_row = match &self.repeated {
            Some((last, count)) if *last == signature => count + 1,
            _ => 1,
        };
        self.repeated = Some((signature.clone(), in_a_row));
        if in_a_row >= LOOP_GATE {
            return Err(failed(
                ErrorCode::LoopGate,
                format!(
                    "the model called `{}` with the same arguments {LOOP_GATE} times in a row",
                    call.name
                ),
            ));
        }

        let (content, is_error) = match ToolCall::parse(&call.name, &call.arguments, &self.tool_ctx)
        {
            Err(e) => (e.to_string(), true),
            Ok(ToolCall::Question { questions }) => self.ask(ctx, questions).await?,
            Ok(tool) => self.guarded(ctx, tool).await?,
        };
        // What goes back to the model is what the transcript keeps: no known secret.
        let content = secrets::redact(&content).into_owned();
        let mut stuck = None;
        if is_error {
            let failures = self.failures.entry(signature).or_insert(0);
            *failures += 1;
            if *failures >= LOOP_GATE {
                stuck = Some(failed(
                    ErrorCode::LoopGate,
                    format!(
                        "the same `{}` call failed {LOOP_GATE} times: {content}",
                        call.name
                    ),
                ));
            }
        }
        Ok(Ran {
            part: Part::ToolResult {
                tool_call_id: call.id.clone(),
                tool_name: call.name.clone(),
                content: content.clone(),
                is_error,
            },
            result: ToolResultMessage {
                tool_call_id: call.id.clone(),
                content,
                is_error,
            },
            stuck,
        })
    }

    /// A tool call through the automation's permission rules.
    async fn guarded(
        &mut self,
        ctx: &RunContext,
        tool: ToolCall,
    ) -> Result<(String, bool), Outcome> {
        let subject = tool.subject();
        let bash = match &tool {
            ToolCall::Bash { command, .. } => Some(self.tool_ctx.rules.decide_bash(command)),
            _ => None,
        };
        let action = match &bash {
            Some(decision) => decision.action,
            None => self.tool_ctx.rules.resolve(tool.name(), &subject),
        };
        match action {
            PermissionAction::Allow => {}
            PermissionAction::Deny => {
                let why = match &bash {
                    Some(decision) => decision.explain(),
                    None => format!(
                        "a rule of this automation forbids `{}` on `{subject}`",
                        tool.name()
                    ),
                };
                return Ok((format!("permission denied: {why}"), true));
            }
            PermissionAction::Ask => {
                self.settled().await?;
                let options = permissions::always_options(tool.name(), &subject, bash.as_ref());
                let blocker = Blocker::Permission {
                    request_id: BlockerId::new(),
                    tool: tool.name().to_owned(),
                    summary: tool.summary(),
                    preview: tool.preview(&self.tool_ctx),
                    reason: bash.as_ref().map(|decision| decision.explain()),
                    always: options.first().map_or_else(Vec::new, |o| {
                        o.rules.iter().map(permissions::describe_rule).collect()
                    }),
                    always_options: options.clone(),
                };
                let reply = ctx.block(blocker).await;
                if reply.is_ok() {
                    self.resumed(ctx).await;
                }
                match reply {
                    Ok(BlockerReply::Permission {
                        decision,
                        message,
                        always_choice,
                    }) => match decision {
                        PermissionDecision::Once => {}
                        // An opaque script has no rule to add: "always" allows it once.
                        PermissionDecision::Always => {
                            // The engine checked the choice against these options.
                            let chosen = options
                                .get(always_choice.unwrap_or(0) as usize)
                                .map_or_else(Vec::new, |o| o.rules.clone());
                            for rule in chosen {
                                Arc::make_mut(&mut self.tool_ctx.rules).push(rule.clone());
                                match ctx.add_permission_rule(rule).await {
                                    Ok(_) => {}
                                    // A rule the definition cannot hold (say, a very long
                                    // command) still allows this call; it is just not kept.
                                    Err(crate::error::Error::InvalidAutomation(details)) => {
                                        tracing::warn!(
                                            ?details,
                                            "could not keep an always-allow rule"
                                        );
                                    }
                                    Err(e) => return Err(engine_failure(e)),
                                }
                            }
                        }
                        PermissionDecision::Reject => {
                            let mut text = format!("the user rejected `{}`", tool.summary());
                            if let Some(message) = message.filter(|m| !m.trim().is_empty()) {
                                text.push_str(&format!(" and said: {message}"));
                            }
                            return Ok((text, true));
                        }
                    },
                    Ok(_) => {
                        return Err(failed(
                            ErrorCode::ExecutionFailed,
                            "a permission request got an answer for a question",
                        ))
                    }
                    Err(e) => {
                        return Err(self
                            .unanswered(e, &format!("wanted to {}", tool.summary()))
                            .await)
                    }
                }
            }
        }
        if !tool.reads_only() {
            // What changes files or runs a command goes after the answer that asked for it
            // is stored: a crash never leaves an effect the transcript does not show.
            self.settled().await?;
        }
        let result = tool.run(&self.tool_ctx).await;
        if matches!(tool, ToolCall::Bash { .. }) || !result.changed_paths.is_empty() {
            self.changed = true;
        }
        Ok((result.content, result.is_error))
    }

    async fn ask(
        &mut self,
        ctx: &RunContext,
        questions: Vec<crate::ledger::Question>,
    ) -> Result<(String, bool), Outcome> {
        self.settled().await?;
        let asked: Vec<String> = questions.iter().map(|q| q.question.clone()).collect();
        let blocker = Blocker::Question {
            call_id: BlockerId::new(),
            questions,
        };
        let reply = ctx.block(blocker).await;
        if reply.is_ok() {
            self.resumed(ctx).await;
        }
        match reply {
            Ok(BlockerReply::Question { answers }) => {
                let text = asked
                    .iter()
                    .zip(answers)
                    .map(|(q, a)| format!("Q: {q}\nA: {a}"))
                    .collect::<Vec<_>>()
                    .join("\n\n");
                Ok((text, false))
            }
            Ok(_) => Err(failed(
                ErrorCode::ExecutionFailed,
                "a question got an answer for a permission request",
            )),
            Err(e) => Err(self
                .unanswered(e, &format!("asked: {}", asked.join(" / ")))
                .await),
        }
    }

    /// The outcome when a blocker got no answer; an unattended run records what it wanted.
    async fn unanswered(&mut self, error: BlockError, wanted: &str) -> Outcome {
        match error {
            BlockError::Unattended => {
                let text = format!(
                    "needs user input: {wanted} (the run was unattended, so nobody could answer)"
                );
                let _ = self
                    .session
                    .message(Role::Assistant)
                    .part(Part::Error { text: text.clone() })
                    .await;
                failed(ErrorCode::NeedsUserInput, text)
            }
            BlockError::Ended => failed(
                ErrorCode::ExecutionFailed,
                "the run ended while it waited for input",
            ),
            BlockError::Engine(e) => engine_failure(e),
        }
    }

    async fn store_message(&mut self, role: Role, parts: Vec<Part>) -> crate::error::Result<()> {
        self.session.message(role).parts(parts).await
    }
}

/// A tool call that ran (or was refused).
struct Ran {
    /// For the transcript.
    part: Part,
    /// For the model.
    result: ToolResultMessage,
    /// Ends the run once the result is stored: the same call failed too often.
    stuck: Option<Outcome>,
}

fn system_prompt(ctx: &RunContext) -> String {
    let spec = &ctx.automation.spec;
    let attendance = match ctx.run.attendance {
        Attendance::Attended => "A person is watching this run and can answer questions and approve actions.",
        Attendance::Unattended => "Nobody is watching this run: do not ask questions unless you cannot go on without an answer.",
    };
    format!(
        "You are Autowork, an autonomous coding agent. You work in the directory {workspace} \
         and can only read and change files inside it, with the tools you are given. \
         {attendance}\n\
         Work step by step: look before you change, keep changes small, and check your work \
         (run the tests when there are tests). Some actions need the user's permission; when \
         one is rejected, do not try the same thing again another way.\n\
         When you are done, answer without calling tools, with a short summary of what you \
         did and what you found.\n\
         {no_automations}\n\
         Automation: {title}",
        workspace = spec.workspace,
        title = spec.title,
        no_automations = NO_AUTOMATIONS,
    )
}

/// What a run is told about automations: a run cannot make, change or start them (no tool
/// does, and the sandbox hides Autowork's data from commands), so a request for one gets a
/// clear answer instead of an attempt.
pub(crate) const NO_AUTOMATIONS: &str = "You cannot create, change, delete, pause or start \
     automations, this one included: no tool does it, and Autowork's data is hidden from your \
     commands. When you are asked to, say so plainly and tell the user to do it in the Autowork \
     app or with the `autowork automation` command; do not try another way.";

/// Rebuilds the conversation from a stored session, answering any tool call that has no
/// result (a run that ended mid-call) so the providers accept it.
pub(crate) fn history_messages(messages: &[Message]) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::new();
    let mut unanswered: Vec<String> = Vec::new();
    let close = |out: &mut Vec<ChatMessage>, unanswered: &mut Vec<String>| {
        if !unanswered.is_empty() {
            out.push(ChatMessage::ToolResults(
                unanswered
                    .drain(..)
                    .map(|id| ToolResultMessage {
                        tool_call_id: id,
                        content: "not run: the run ended first".into(),
                        is_error: true,
                    })
                    .collect(),
            ));
        }
    };
    for message in messages {
        match message.role {
            Role::User => {
                close(&mut out, &mut unanswered);
                let text: Vec<&str> = message
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Text { text } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                if !text.is_empty() {
                    out.push(ChatMessage::User(text.join("\n")));
                }
            }
            Role::Assistant => {
                close(&mut out, &mut unanswered);
                let mut text = String::new();
                let mut tool_calls = Vec::new();
                for part in &message.parts {
                    match part {
                        Part::Text { text: t } => text.push_str(t),
                        Part::ToolCall {
                            tool_call_id,
                            tool_name,
                            arguments,
                        } => {
                            unanswered.push(tool_call_id.clone());
                            tool_calls.push(ModelToolCall {
                                id: tool_call_id.clone(),
                                name: tool_name.clone(),
                                arguments: arguments.clone(),
                            });
                        }
                        _ => {}
                    }
                }
                if !text.is_empty() || !tool_calls.is_empty() {
                    out.push(ChatMessage::Assistant { text, tool_calls });
                }
            }
            Role::Tool => {
                let mut results = Vec::new();
                for part in &message.parts {
                    if let Part::ToolResult {
                        tool_call_id,
                        content,
                        is_error,
                        ..
                    } = part
                    {
                        unanswered.retain(|id| id != tool_call_id);
                        results.push(ToolResultMessage {
                            tool_call_id: tool_call_id.clone(),
                            content: content.clone(),
                            is_error: *is_error,
                        });
                    }
                }
                if !results.is_empty() {
                    out.push(ChatMessage::ToolResults(results));
                }
            }
        }
    }
    close(&mut out, &mut unanswered);
    // A trailing assistant turn that called no tools is fine; history always ends before the
    // next user prompt, which the caller appends.
    out
}
