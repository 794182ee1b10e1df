//! Token counts as a provider reports them, made safe for the ledger: a provider's bug (a
//! negative, fractional or absurd count) must not overflow a run's totals or its cost.

use serde_json::Value;

/// The most tokens one model call is taken to have used on either side; a larger count is
/// a provider's bug, not usage.
pub const MAX_TOKENS_PER_CALL: u64 = 1_000_000_000;

/// Reads the counts of one model call, clamping those that cannot be right and
/// remembering which they were.
#[derive(Debug, Default)]
pub(crate) struct TokenCounts {
    odd: Vec<String>,
}

impl TokenCounts {
    /// The usage field `name` as a count between 0 and [`MAX_TOKENS_PER_CALL`]; absent or
    /// null is 0.
    pub fn read(&mut self, name: &str, value: &Value) -> u64 {
        if let Some(count) = value.as_u64().filter(|c| *c <= MAX_TOKENS_PER_CALL) {
            return count;
        }
        if value.is_null() {
            return 0;
        }
        let limit = MAX_TOKENS_PER_CALL as f64;
        let clamped = match value.as_f64() {
            Some(n) if n > limit => MAX_TOKENS_PER_CALL,
            // A whole number written as a float (`12.0`) is fine.
            Some(n) if n >= 0.0 && n.fract() == 0.0 => return n as u64,
            Some(n) if n > 0.0 => n.round() as u64,
            _ => 0,
        };
        self.note(format!("{name} = {value}"));
        clamped
    }

    /// The sum of counts already read, clamped like each of them.
    pub fn sum(&mut self, name: &str, parts: &[u64]) -> u64 {
        let total = parts.iter().fold(0u64, |a, b| a.saturating_add(*b));
        if total > MAX_TOKENS_PER_CALL {
            self.note(format!("{name} = {total}"));
            return MAX_TOKENS_PER_CALL;
        }
        total
    }

    fn note(&mut self, what: String) {
        // Some providers repeat usage on every chunk: say each oddity once.
        if !self.odd.contains(&what) {
            self.odd.push(what);
        }
    }

    /// What was clamped, for the transcript and the log; `None` when every count was sane.
    pub fn into_note(self) -> Option<String> {
        if self.odd.is_empty() {
            return None;
        }
        let note = format!(
            "the provider reported token counts that cannot be right ({}); they were clamped \
             to between 0 and {MAX_TOKENS_PER_CALL} per call, so this step's token count and \
             cost are estimates",
            self.odd.join(", ")
        );
        tracing::warn!(odd = ?self.odd, "clamped the provider's token counts");
        Some(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn sane_counts_pass_and_unbelievable_ones_are_clamped_and_noted() {
        let mut counts = TokenCounts::default();
        let read: Vec<u64> = [
            json!(120),
            json!(null),
            json!(12.0),
            json!(-5),
            json!(u64::MAX),
            json!(1e30),
            json!(2.6),
            json!("7"),
        ]
        .iter()
        .map(|v| counts.read("n", v))
        .collect();
        assert_eq!(
            read,
            vec![
                120,
                0,
                12,
                0,
                MAX_TOKENS_PER_CALL,
                MAX_TOKENS_PER_CALL,
                3,
                0
            ]
        );
        assert_eq!(
            counts.odd,
            vec![
                "n = -5",
                "n = 18446744073709551615",
                "n = 1e+30",
                "n = 2.6",
                "n = \"7\""
            ]
        );
    }

    #[test]
    fn a_sum_past_the_limit_saturates_instead_of_overflowing() {
        let mut counts = TokenCounts::default();
        assert_eq!(counts.sum("input", &[1, 2]), 3);
        assert_eq!(counts.into_note(), None);
        let mut counts = TokenCounts::default();
        assert_eq!(
            counts.sum("input", &[MAX_TOKENS_PER_CALL, u64::MAX]),
            MAX_TOKENS_PER_CALL
        );
        assert!(counts.into_note().is_some());
    }
}
