//! The unified-diff text of a change review, capped at a byte budget on a line boundary.

/// Collects patch text up to `limit` bytes. Whole lines only: the first line that does not
/// fit ends the text, and everything after it is dropped (`truncated`).
#[derive(Debug)]
pub(super) struct CappedPatch {
    text: String,
    limit: usize,
    truncated: bool,
}

impl CappedPatch {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            text: String::new(),
            limit,
            truncated: false,
        }
    }

    /// Appends `chunk` (any number of lines; a last line without `\n` counts as a line).
    pub(super) fn push(&mut self, chunk: &str) {
        if self.truncated {
            return;
        }
        if self.text.len() + chunk.len() <= self.limit {
            self.text.push_str(chunk);
            return;
        }
        for line in chunk.split_inclusive('\n') {
            if self.text.len() + line.len() > self.limit {
                self.truncated = true;
                return;
            }
            self.text.push_str(line);
        }
    }

    /// The text and whether some of it was cut.
    pub(super) fn finish(self) -> (String, bool) {
        (self.text, self.truncated)
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn keeps_everything_within_the_limit() {
        let mut patch = CappedPatch::new(100);
        patch.push("a\nb\n");
        patch.push("c");
        assert_eq!(patch.finish(), ("a\nb\nc".to_owned(), false));
    }

    #[test]
    fn cuts_at_the_last_whole_line_that_fits() {
        let mut patch = CappedPatch::new(5);
        patch.push("ab\ncd\nef\n");
        patch.push("g\n");
        assert_eq!(patch.finish(), ("ab\n".to_owned(), true));
    }

    #[test]
    fn a_line_longer_than_the_limit_leaves_nothing() {
        let mut patch = CappedPatch::new(3);
        patch.push("abcdef\n");
        assert_eq!(patch.finish(), (String::new(), true));
    }
}
