//! `autowork reply` and `autowork answer`: unblock a run waiting for input. The run may be
//! driven by another process (a waiting `run-now`, the app, a daemon): the answer goes
//! through the database and that process resumes the run.

use autowork_core::ids::BlockerId;
use autowork_core::ledger::PermissionDecision;
use autowork_core::{Engine, Error, ValidationDetail};

use crate::args::{AnswerArgs, ReplyArgs};
use crate::output::{emit_either, Outcome};
use crate::runs;

pub async fn reply(engine: &Engine, args: ReplyArgs, json: bool) -> Outcome {
    let request = BlockerId::from(args.request_id.as_str());
    let run = match (args.decision, args.choice) {
        (PermissionDecision::Always, Some(choice)) => {
            engine.approve_always(&request, choice).await?
        }
        (_, Some(_)) => {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "choice",
                "only_with_always",
            )
            .with_hint("--choice picks which rule `always` adds".to_owned())])
            .into())
        }
        (decision, None) => {
            engine
                .reply_permission(&request, decision, args.message)
                .await?
        }
    };
    emit_either(json, &run, runs::view)
}

pub async fn answer(engine: &Engine, args: AnswerArgs, json: bool) -> Outcome {
    let call = BlockerId::from(args.call_id.as_str());
    let run = engine.answer_question(&call, args.answers).await?;
    emit_either(json, &run, runs::view)
}
