//! `question`: parsing what the model wants to ask. The agent loop does the asking.

use serde_json::Value;

use crate::ledger::Question;

pub(super) const MAX_QUESTIONS: usize = 5;

/// The questions in a call, or what is wrong with them.
pub(super) fn parse(value: Option<&Value>) -> Result<Vec<Question>, String> {
    let items = match value {
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`questions` must be an array of {question, choices?}".to_owned()),
        None => return Err("`questions` is required (an array of {question, choices?})".to_owned()),
    };
    if items.is_empty() || items.len() > MAX_QUESTIONS {
        return Err(format!(
            "ask between 1 and {MAX_QUESTIONS} questions at a time (got {})",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| one(index, item))
        .collect()
}

fn one(index: usize, item: &Value) -> Result<Question, String> {
    let at = format!("`questions[{index}]`");
    let (text, choices) = match item {
        // A bare string is a question without choices.
        Value::String(text) => (text.as_str(), None),
        Value::Object(map) => match map.get("question") {
            Some(Value::String(text)) => (text.as_str(), map.get("choices")),
            _ => return Err(format!("{at}.question is required (a string)")),
        },
        _ => return Err(format!("{at} must be an object {{question, choices?}}")),
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{at}.question must not be empty"));
    }
    let choices = match choices {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(choices)) => choices
            .iter()
            .map(|choice| match choice.as_str().map(str::trim) {
                Some(choice) if !choice.is_empty() => Ok(choice.to_owned()),
                _ => Err(format!("{at}.choices must be non-empty strings")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("{at}.choices must be an array of strings")),
    };
    Ok(Question {
        question: text.to_owned(),
        choices,
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn questions_with_and_without_choices_parse() {
        let parsed = parse(Some(&json!([
            {"question": "Which branch?", "choices": ["main", "dev"]},
            {"question": " Why? "},
            "Anything else?"
        ])))
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                Question {
                    question: "Which branch?".into(),
                    choices: vec!["main".into(), "dev".into()]
                },
                Question {
                    question: "Why?".into(),
                    choices: vec![]
                },
                Question {
                    question: "Anything else?".into(),
                    choices: vec![]
                },
            ]
        );
    }

    #[test]
    fn zero_or_more_than_five_questions_are_refused() {
        assert!(parse(Some(&json!([]))).is_err());
        let six: Vec<_> = (0..6)
            .map(|i| json!({"question": format!("q{i}")}))
            .collect();
        assert_eq!(
            parse(Some(&Value::Array(six))).unwrap_err(),
            "ask between 1 and 5 questions at a time (got 6)"
        );
    }

    #[test]
    fn empty_text_or_bad_choices_are_refused() {
        assert_eq!(
            parse(Some(&json!([{"question": "  "}]))).unwrap_err(),
            "`questions[0]`.question must not be empty"
        );
        assert_eq!(
            parse(Some(&json!([{"question": "a", "choices": [""]}]))).unwrap_err(),
            "`questions[0]`.choices must be non-empty strings"
        );
        assert!(parse(None).is_err());
    }
}
