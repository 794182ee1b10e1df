//! A server-sent events reader over a byte stream (both providers stream SSE).

/// One event: its `event:` name (empty when absent) and its joined `data:` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Accumulates bytes and yields complete events. Events may be split across chunks at any
/// byte, including inside a UTF-8 character.
///
/// Linear in the bytes received: a search resumes where the last one stopped, so an event
/// of many megabytes arriving in small reads is not rescanned on every read.
#[derive(Default)]
pub struct SseReader {
    buffer: Vec<u8>,
    /// Bytes of `buffer` already searched for a line end.
    scanned: usize,
}

impl SseReader {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        // Start of the block being read; blocks before it are handed out.
        let mut start = 0;
        let mut at = self.scanned;
        while let Some(offset) = self.buffer[at..].iter().position(|&b| b == b'\n') {
            let newline = at + offset;
            at = newline + 1;
            // A blank line ends the block: `\n\n` or `\r\n\r\n`, looked for backwards from
            // each line end so a separator split across reads is still found.
            let block = &self.buffer[start..=newline];
            let separator = if block.ends_with(b"\r\n\r\n") {
                4
            } else if block.ends_with(b"\n\n") {
                2
            } else {
                continue;
            };
            let text = String::from_utf8_lossy(&block[..block.len() - separator]);
            if let Some(event) = parse_block(&text) {
                events.push(event);
            }
            start = newline + 1;
        }
        self.buffer.drain(..start);
        self.scanned = self.buffer.len();
        events
    }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = String::new();
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with(':') || line.is_empty() {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = value.to_owned(),
            "data" => data.push(value),
            _ => {}
        }
    }
    if data.is_empty() && event.is_empty() {
        return None;
    }
    Some(SseEvent {
        event,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_arriving_a_byte_at_a_time_is_read_once_whole() {
        let data = "x".repeat(10_000);
        let stream = format!("data: {data}\r\n\r\ndata: next\n\n");
        let mut reader = SseReader::default();
        let mut events = Vec::new();
        for byte in stream.as_bytes() {
            events.extend(reader.push(std::slice::from_ref(byte)));
        }
        assert_eq!(
            events,
            vec![
                SseEvent {
                    event: String::new(),
                    data
                },
                SseEvent {
                    event: String::new(),
                    data: "next".into()
                },
            ]
        );
        assert_eq!(
            (reader.buffer.len(), reader.scanned),
            (0, 0),
            "nothing left over"
        );
    }

    #[test]
    fn a_crlf_line_before_a_bare_blank_line_ends_the_event_as_before() {
        let mut reader = SseReader::default();
        assert_eq!(
            reader.push(b"data: a\r\n\ndata: b\n\n"),
            vec![
                SseEvent {
                    event: String::new(),
                    data: "a".into()
                },
                SseEvent {
                    event: String::new(),
                    data: "b".into()
                },
            ]
        );
    }

    #[test]
    fn events_split_anywhere_are_reassembled() {
        let stream = "event: a\ndata: {\"x\":\"é\"}\n\n: comment\n\ndata: one\ndata: two\r\n\r\n";
        let bytes = stream.as_bytes();
        for split in 0..bytes.len() {
            let mut reader = SseReader::default();
            let mut events = reader.push(&bytes[..split]);
            events.extend(reader.push(&bytes[split..]));
            assert_eq!(
                events,
                vec![
                    SseEvent {
                        event: "a".into(),
                        data: "{\"x\":\"é\"}".into()
                    },
                    SseEvent {
                        event: String::new(),
                        data: "one\ntwo".into()
                    },
                ],
                "split at {split}"
            );
        }
    }
}
