//! Drafting an automation from a sentence ("every weekday at 9, summarize yesterday's commits
//! into NOTES.md"). The configured model gets the sentence, the workspace's name and
//! top-level file names, the user's time zone and the model catalog, and answers through
//! one tool whose parameters are the automation file's schema. The engine validates the
//! proposal like a create, sends the problems back for at most [`MAX_REPAIRS`] repairs,
//! narrows what the draft may do without asking (see [`privilege`]) and describes the result
//! in plain words. Nothing is saved: the user creates the automation from the draft.

mod privilege;
mod prompt;
mod summary;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent::provider::{
    self, ChatMessage, ChatRequest, Delta, HttpPolicy, ModelToolCall, ProviderError,
    ProviderSettings, ToolResultMessage,
};
use crate::automation_file::split_header;
use crate::catalog::Catalog;
use crate::definition::{parse_spec, AutomationSpec, ModelRef, ValidationContext};
use crate::error::{Error, Result, ValidationDetail};
use crate::secrets;
use crate::settings::AppSettings;
use crate::Engine;

pub use privilege::Adjustment;
pub use summary::DraftSummary;

pub use crate::error::DraftError;

/// The one tool the drafting model answers through.
pub const DRAFT_TOOL: &str = "propose_automation";
/// Repairs after the first proposal: three model calls at most.
pub const MAX_REPAIRS: u32 = 2;
/// The longest sentence taken.
pub const SENTENCE_MAX_CHARS: usize = 4_000;
/// Enough output for a definition with a long prompt and many rules.
const MAX_TOKENS: u32 = 8_192;

/// What to draft from.
#[derive(Debug, Clone, Default)]
pub struct DraftRequest {
    /// What the automation should do, in the user's words.
    pub sentence: String,
    /// The work directory, when the user picked one; the draft runs there.
    pub workspace: Option<PathBuf>,
    /// The user's IANA time zone; by default this machine's.
    pub timezone: Option<String>,
    /// The model that drafts; by default the app's default model (Settings).
    pub model: Option<ModelRef>,
}

/// A drafted automation, not saved.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The definition as a create takes it (after the least-privilege adjustments).
    pub definition: Value,
    /// What still fails validation after the repairs, per field; empty when the draft can
    /// be created as it is.
    pub problems: Vec<ValidationDetail>,
    /// What the engine took out of the model's proposal, and why.
    pub adjustments: Vec<Adjustment>,
    /// The draft in plain words.
    pub summary: DraftSummary,
    /// Model calls made: 1, plus one per repair.
    pub model_calls: u32,
    /// The model that drafted.
    pub drafted_with: ModelRef,
}

impl Draft {
    /// Whether the draft validates as it is.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

impl DraftError {
    /// The machine-readable code clients see.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoModel => "no_default_model",
            Self::ProviderNotConfigured(_) => "provider_not_configured",
            Self::Provider(ProviderError::MissingKey(_)) => "missing_api_key",
            Self::Provider(_) => "provider_error",
            Self::NoProposal(_) => "no_proposal",
        }
    }
}

impl Engine {
    /// Drafts an automation from a sentence; see the module docs. Saves nothing.
    pub async fn draft_automation(&self, request: DraftRequest) -> Result<Draft> {
        self.draft_automation_with(request, HttpPolicy::default())
            .await
    }

    /// [`Engine::draft_automation`] with the given retries and timeouts of model calls.
    pub async fn draft_automation_with(
        &self,
        request: DraftRequest,
        policy: HttpPolicy,
    ) -> Result<Draft> {
        let input = checked_input(&request)?;
        let drafter = match request.model.clone() {
            Some(model) => model,
            None => AppSettings::load(self.data_dir())?
                .default_model
                .ok_or(DraftError::NoModel)?,
        };
        let settings = ProviderSettings::load(self.data_dir())?;
        // As in a run: no key a provider reads from the environment may leave in an error.
        secrets::register_env(
            settings
                .all()
                .iter()
                .filter_map(|p| p.api_key_env.as_deref()),
        );
        let config = settings
            .find(&drafter.provider_id)
            .ok_or_else(|| DraftError::ProviderNotConfigured(drafter.provider_id.clone()))?;
        let client = provider::connect(&config, provider::http_client(), policy)
            .await
            .map_err(DraftError::from)?;
        // The sentence is the user's own text: only its length is logged.
        tracing::info!(chars = input.sentence.chars().count(), model = %drafter.model_id, "drafting an automation");

        let catalog = self.catalog();
        let system = prompt::system(&input, &catalog, self.shared.clock.now());
        let tools = [prompt::tool()];
        let mut messages = vec![ChatMessage::User(prompt::user(&input))];
        let mut model_calls = 0;
        loop {
            model_calls += 1;
            let response = client
                .complete(
                    ChatRequest {
                        model: &drafter.model_id,
                        system: &system,
                        messages: &messages,
                        tools: &tools,
                        variant: None,
                        max_tokens: MAX_TOKENS,
                    },
                    &|_: Delta| {},
                )
                .await
                .map_err(DraftError::from)?;
            let Some(proposal) = response.tool_calls.iter().find(|c| c.name == DRAFT_TOOL) else {
                return Err(
                    DraftError::NoProposal(secrets::redact(&response.text).into_owned()).into(),
                );
            };
            let checked = self.check(proposal.arguments.clone(), &input, &catalog);
            if checked.problems.is_empty() || model_calls > MAX_REPAIRS {
                return Ok(Draft {
                    summary: summary::describe(&checked, &input, self.shared.clock.now()),
                    definition: checked.definition,
                    problems: checked.problems,
                    adjustments: checked.adjustments,
                    model_calls,
                    drafted_with: drafter,
                });
            }
            let results = answers(&response.tool_calls, &proposal.id, &checked.problems);
            messages.push(ChatMessage::Assistant {
                text: response.text,
                tool_calls: response.tool_calls,
            });
            messages.push(ChatMessage::ToolResults(results));
        }
    }

    /// The proposal narrowed to least privilege, then validated like a create.
    fn check(&self, arguments: Value, input: &Input, catalog: &Catalog) -> Checked {
        let (mut definition, mut problems) = split_header(&arguments);
        let adjustments = privilege::narrow(&mut definition, input);
        let ctx = ValidationContext {
            catalog,
            now: self.shared.clock.now(),
        };
        let spec = match parse_spec(&definition, &ctx, &|_| true) {
            Ok(spec) => Some(spec),
            Err(more) => {
                problems.extend(more);
                None
            }
        };
        Checked {
            definition,
            problems,
            adjustments,
            spec,
        }
    }
}

/// A proposal after the engine's checks.
pub(crate) struct Checked {
    pub definition: Value,
    pub problems: Vec<ValidationDetail>,
    pub adjustments: Vec<Adjustment>,
    /// The parsed definition, when it validated.
    pub spec: Option<AutomationSpec>,
}

/// The request, checked, with what the model is told about the workspace.
pub(crate) struct Input {
    pub sentence: String,
    pub workspace: Option<Workspace>,
    pub timezone: String,
}

pub(crate) struct Workspace {
    /// Canonical, as the definition stores it.
    pub path: String,
    pub name: String,
    /// Top-level names (directories end in `/`), sorted, hidden ones left out.
    pub files: Vec<String>,
    /// How many names were left out past the limit.
    pub more: usize,
}

/// The top-level names the model sees: no contents, no hidden files (`.env` and kin).
const WORKSPACE_FILES_MAX: usize = 50;

fn checked_input(request: &DraftRequest) -> Result<Input> {
    let mut problems = Vec::new();
    let sentence = request.sentence.trim();
    if sentence.is_empty() {
        problems.push(
            ValidationDetail::new("sentence", "sentence_empty")
                .with_hint("say what the automation should do, and when"),
        );
    } else if sentence.chars().count() > SENTENCE_MAX_CHARS {
        problems.push(ValidationDetail::new(
            "sentence",
            format!("sentence_too_long_{SENTENCE_MAX_CHARS}"),
        ));
    }
    let timezone = request
        .timezone
        .clone()
        .filter(|tz| !tz.trim().is_empty())
        .unwrap_or_else(crate::clock::local_timezone);
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        problems.push(
            ValidationDetail::new("timezone", "invalid_timezone")
                .with_hint("expected an IANA time zone such as Europe/Berlin or UTC"),
        );
    }
    let workspace = match &request.workspace {
        None => None,
        Some(path) => match read_workspace(path) {
            Ok(workspace) => Some(workspace),
            Err(problem) => {
                problems.push(problem);
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(Error::InvalidInput(problems));
    }
    Ok(Input {
        sentence: sentence.to_owned(),
        workspace,
        timezone,
    })
}

fn read_workspace(path: &Path) -> std::result::Result<Workspace, ValidationDetail> {
    let not_found = |e: std::io::Error| {
        ValidationDetail::new("workspace", "workspace_not_found")
            .with_hint(format!("{}: {e}", path.display()))
    };
    let canonical = path.canonicalize().map_err(not_found)?;
    let entries = std::fs::read_dir(&canonical).map_err(not_found)?;
    let mut files: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            let dir = entry.file_type().is_ok_and(|t| t.is_dir());
            Some(if dir { format!("{name}/") } else { name })
        })
        .collect();
    files.sort();
    let more = files.len().saturating_sub(WORKSPACE_FILES_MAX);
    files.truncate(WORKSPACE_FILES_MAX);
    let name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| canonical.display().to_string());
    Ok(Workspace {
        path: canonical.display().to_string(),
        name,
        files,
        more,
    })
}

/// Tool results for a proposal that did not validate: the problems for the proposal, and
/// a pointer to the one tool for any other call (each call needs its result).
fn answers(
    calls: &[ModelToolCall],
    proposal_id: &str,
    problems: &[ValidationDetail],
) -> Vec<ToolResultMessage> {
    calls
        .iter()
        .map(|call| {
            let content = if call.id == proposal_id {
                prompt::problems(problems)
            } else if call.name == DRAFT_TOOL {
                "only the first proposal of an answer is read".to_owned()
            } else {
                format!(
                    "there is no tool `{}`; answer with `{DRAFT_TOOL}` only",
                    call.name
                )
            };
            ToolResultMessage {
                tool_call_id: call.id.clone(),
                content,
                is_error: true,
            }
        })
        .collect()
}
