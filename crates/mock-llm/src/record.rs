//! What the mock remembers about each request, for tests to inspect.

use serde_json::Value;

/// One request the server received, with how it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The JSON body; `Null` when empty, a `String` holding the raw text when it was not JSON.
    pub body: Value,
    /// Every header, names lowercase, values as sent (auth headers included, unredacted).
    pub headers: Vec<(String, String)>,
    /// The HTTP status answered; `0` for a `hang` turn, which never answers.
    pub response_status: u16,
    /// The 1-based script turn this request consumed, if it consumed one.
    pub turn: Option<usize>,
    /// What the request got wrong: a broken protocol invariant or an unmet `expect`.
    /// `None` for a well-formed request; a test usually asserts that.
    pub protocol_error: Option<String>,
    /// The message of any error answer (protocol errors, scripted faults, exhausted script).
    pub error: Option<String>,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The API key sent as `x-api-key` or `authorization: Bearer ...`, if any.
    pub fn api_key(&self) -> Option<&str> {
        self.header("x-api-key").or_else(|| {
            self.header("authorization")
                .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_headers(headers: &[(&str, &str)]) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/v1/messages".into(),
            body: Value::Null,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            response_status: 200,
            turn: Some(1),
            protocol_error: None,
            error: None,
        }
    }

    #[test]
    fn api_key_comes_from_either_auth_header() {
        assert_eq!(
            with_headers(&[("x-api-key", "sk-a")]).api_key(),
            Some("sk-a")
        );
        assert_eq!(
            with_headers(&[("authorization", "Bearer sk-o")]).api_key(),
            Some("sk-o")
        );
        assert_eq!(with_headers(&[("accept", "*/*")]).api_key(), None);
    }
}
