//! Splits a syslog TCP byte stream into messages, detecting the framing of each message.
//!
//! RFC 6587 allows two framings and senders mix them in practice:
//!
//! - octet counting: `MSG-LEN SP SYSLOG-MSG`, e.g. `17 <13>1 - - - - - hi`;
//! - non-transparent framing: the message ends at LF, tolerating CRLF and NUL as terminators.
//!
//! A message is octet-counted when it starts with a non-zero digit, at most
//! [`MAX_LENGTH_DIGITS`] digits, a space and `<` (the start of the PRI every syslog message
//! carries), and the length is at most [`MAX_COUNTED_LEN`]. Anything else is read up to the next
//! terminator, so a plain line such as `1700000000 started` is not mistaken for a length.
//!
//! Frames longer than [`MAX_LINE_BYTES`] keep their first bytes plus one, so the sanitizer sees
//! the overflow, cuts at a char boundary and flags the event as truncated. The rest of an
//! oversized counted frame is skipped by its length; the rest of an oversized line is skipped up
//! to the next terminator.

use crate::parse::MAX_LINE_BYTES;

/// The most bytes of one frame that are kept: one over the parser's cap, so it flags the cut.
pub const KEEP_BYTES: usize = MAX_LINE_BYTES + 1;
/// The longest length prefix accepted for octet counting.
const MAX_LENGTH_DIGITS: usize = 8;
/// The largest octet count accepted; a larger "length" is read as text instead.
pub const MAX_COUNTED_LEN: usize = 16 << 20;

#[derive(Debug)]
enum Mode {
    /// At a frame boundary, or inside a line whose bytes wait in the buffer.
    Scan,
    /// Inside an octet-counted frame: `left` bytes are still to come, `frame` holds those kept.
    Counted { frame: Vec<u8>, left: usize },
    /// Skipping the rest of an oversized line up to its terminator.
    Discard,
}

/// What the start of the buffer says about octet counting.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// A counted frame of `len` bytes follows a header of `header_len` bytes.
    Counted { len: usize, header_len: usize },
    /// Not enough bytes yet to tell.
    NeedMore,
    /// Not octet counting: read up to the next terminator.
    Line,
}

/// The per-connection decoder: feed it bytes as they arrive, collect complete frames.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    mode: Mode,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            mode: Mode::Scan,
        }
    }

    /// Appends `data` and pushes every frame it completes onto `out`, in order.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Vec<u8>>) {
        self.buf.extend_from_slice(data);
        let mut pos = 0;
        while pos < self.buf.len() {
            match &mut self.mode {
                Mode::Counted { frame, left } => {
                    let take = (self.buf.len() - pos).min(*left);
                    let room = KEEP_BYTES.saturating_sub(frame.len()).min(take);
                    frame.extend_from_slice(&self.buf[pos..pos + room]);
                    pos += take;
                    *left -= take;
                    if *left > 0 {
                        break;
                    }
                    out.push(std::mem::take(frame));
                    self.mode = Mode::Scan;
                }
                Mode::Discard => match find_terminator(&self.buf[pos..]) {
                    Some(i) => {
                        pos += i + 1;
                        self.mode = Mode::Scan;
                    }
                    None => pos = self.buf.len(),
                },
                Mode::Scan => {
                    let rest = &self.buf[pos..];
                    match header(rest) {
                        Header::Counted { len, header_len } => {
                            pos += header_len;
                            self.mode = Mode::Counted {
                                frame: Vec::with_capacity(len.min(KEEP_BYTES)),
                                left: len,
                            };
                            continue;
                        }
                        Header::NeedMore => break,
                        Header::Line => {}
                    }
                    match find_terminator(rest) {
                        Some(i) => {
                            push_line(&rest[..i], out);
                            pos += i + 1;
                        }
                        None if rest.len() > KEEP_BYTES => {
                            push_line(rest, out);
                            pos = self.buf.len();
                            self.mode = Mode::Discard;
                        }
                        None => break,
                    }
                }
            }
        }
        self.buf.drain(..pos);
    }

    /// The end of the stream: an unterminated last message is a frame too, as is the part of a
    /// counted frame that arrived.
    pub fn finish(&mut self, out: &mut Vec<Vec<u8>>) {
        match std::mem::replace(&mut self.mode, Mode::Scan) {
            Mode::Counted { frame, .. } if !frame.is_empty() => out.push(frame),
            Mode::Counted { .. } | Mode::Discard => {}
            Mode::Scan => push_line(&self.buf, out),
        }
        self.buf.clear();
    }

    /// Bytes held for frames not yet complete.
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.buf.len()
            + match &self.mode {
                Mode::Counted { frame, .. } => frame.len(),
                _ => 0,
            }
    }
}

/// The messages of one UDP datagram. A datagram is one message (RFC 5426), without its
/// trailing terminators; it is split only where a line ends and the next starts with `<`, a
/// sender packing several messages into one datagram, so multi-line messages stay whole.
pub fn datagram_lines(datagram: &[u8], out: &mut Vec<Vec<u8>>) {
    let end = datagram
        .iter()
        .rposition(|&b| !matches!(b, b'\n' | b'\r' | 0))
        .map_or(0, |i| i + 1);
    let datagram = &datagram[..end];
    let mut start = 0;
    for i in 0..datagram.len() {
        if matches!(datagram[i], b'\n' | 0) && datagram.get(i + 1) == Some(&b'<') {
            push_line(&datagram[start..i], out);
            start = i + 1;
        }
    }
    push_line(&datagram[start..], out);
}

/// LF ends a line; so does NUL, which some senders use instead.
fn find_terminator(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n' || b == 0)
}

/// Keeps a line without its CR, capped at [`KEEP_BYTES`]; empty lines are not messages.
fn push_line(line: &[u8], out: &mut Vec<Vec<u8>>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.is_empty() {
        out.push(line[..line.len().min(KEEP_BYTES)].to_vec());
    }
}

fn header(rest: &[u8]) -> Header {
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || rest[0] == b'0' || digits > MAX_LENGTH_DIGITS {
        return Header::Line;
    }
    // The space and the `<` after the length decide; wait until they are here.
    match rest.get(digits..digits + 2) {
        None if rest[digits..].iter().all(|&b| b == b' ') => Header::NeedMore,
        Some([b' ', b'<']) => {
            let len: usize = std::str::from_utf8(&rest[..digits])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(usize::MAX);
            if len > MAX_COUNTED_LEN {
                Header::Line
            } else {
                Header::Counted {
                    len,
                    header_len: digits + 1,
                }
            }
        }
        _ => Header::Line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<String> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c, &mut out);
        }
        d.finish(&mut out);
        out.into_iter()
            .map(|f| String::from_utf8(f).unwrap())
            .collect()
    }

    fn counted(msg: &str) -> String {
        format!("{} {msg}", msg.len())
    }

    #[test]
    fn newline_framing_with_lf_crlf_and_nul() {
        let got = decode_chunks(&[b"<13>one\n<13>two\r\n<13>three\0<13>four\n"]);
        assert_eq!(got, ["<13>one", "<13>two", "<13>three", "<13>four"]);
    }

    #[test]
    fn empty_lines_are_skipped() {
        let got = decode_chunks(&[b"\n\r\n<13>a\n\n\0<13>b\n"]);
        assert_eq!(got, ["<13>a", "<13>b"]);
    }

    #[test]
    fn octet_counting_carries_newlines_inside_the_message() {
        let a = "<13>1 - host app - - - first\nstill first";
        let b = "<14>Oct 11 22:14:15 host app: second";
        let stream = format!("{}{}", counted(a), counted(b));
        assert_eq!(decode_chunks(&[stream.as_bytes()]), [a, b]);
    }

    #[test]
    fn mixed_framing_on_one_connection() {
        let a = "<13>counted one";
        let stream = format!(
            "{}<13>plain two\n{}\n<13>plain three\r\n",
            counted(a),
            counted("<13>counted four")
        );
        assert_eq!(
            decode_chunks(&[stream.as_bytes()]),
            [a, "<13>plain two", "<13>counted four", "<13>plain three"]
        );
    }

    #[test]
    fn digits_without_a_pri_are_text() {
        let got = decode_chunks(&[b"1700000000 service started\n12 apples\n007 <13>x\n"]);
        assert_eq!(
            got,
            ["1700000000 service started", "12 apples", "007 <13>x"]
        );
    }

    #[test]
    fn a_length_over_the_limit_is_text() {
        let line = format!("{} <13>not a length", MAX_COUNTED_LEN + 1);
        assert_eq!(decode_chunks(&[format!("{line}\n").as_bytes()]), [line]);
    }

    #[test]
    fn frames_split_across_reads_at_every_byte() {
        let a = "<13>1 2024-01-01T00:00:00Z h app - - - counted";
        let stream = format!("{}<14>plain\r\n{}", counted(a), counted("<15>tail"));
        let bytes = stream.as_bytes();
        let whole = decode_chunks(&[bytes]);
        assert_eq!(whole, [a, "<14>plain", "<15>tail"]);
        for cut in 1..bytes.len() {
            assert_eq!(
                decode_chunks(&[&bytes[..cut], &bytes[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(decode_chunks(&singles), whole);
    }

    #[test]
    fn the_unterminated_last_message_is_kept_at_the_end() {
        assert_eq!(decode_chunks(&[b"<13>a\n<13>b"]), ["<13>a", "<13>b"]);
        // A counted frame cut short by the close keeps what arrived.
        assert_eq!(decode_chunks(&[b"20 <13>short"]), ["<13>short"]);
        // A length prefix with nothing after it is text.
        assert_eq!(decode_chunks(&[b"42"]), ["42"]);
    }

    #[test]
    fn oversized_lines_keep_their_start_and_resync_at_the_next_newline() {
        let big = "x".repeat(3 * MAX_LINE_BYTES);
        let stream = format!("<13>{big}\n<13>after\n");
        let chunks: Vec<&[u8]> = stream.as_bytes().chunks(8192).collect();
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in &chunks {
            d.feed(c, &mut out);
            assert!(d.pending() <= KEEP_BYTES + 8192, "{} pending", d.pending());
        }
        d.finish(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), KEEP_BYTES);
        assert!(out[0].starts_with(b"<13>xxx"));
        assert_eq!(out[1], b"<13>after");
    }

    #[test]
    fn oversized_counted_frames_keep_their_start_and_skip_by_length() {
        let msg = format!("<13>{}\nnot a frame", "y".repeat(2 * MAX_LINE_BYTES));
        let stream = format!("{}{}", counted(&msg), counted("<13>next"));
        let chunks: Vec<&[u8]> = stream.as_bytes().chunks(5000).collect();
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in &chunks {
            d.feed(c, &mut out);
            assert!(d.pending() <= KEEP_BYTES + 5000);
        }
        d.finish(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), KEEP_BYTES);
        assert_eq!(out[1], b"<13>next");
    }

    #[test]
    fn the_parser_flags_a_kept_oversized_frame_as_truncated() {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        d.feed(
            format!("<13>{}\n", "z".repeat(MAX_LINE_BYTES)).as_bytes(),
            &mut out,
        );
        let (text, bits) = crate::parse::sanitize(&out[0]);
        assert_eq!(text.len(), MAX_LINE_BYTES);
        assert_ne!(bits & crate::parse::flags::TRUNCATED, 0);
    }

    #[test]
    fn a_datagram_is_one_message_unless_it_packs_several() {
        let mut out = Vec::new();
        datagram_lines(b"<13>one\n", &mut out);
        datagram_lines(b"<13>two\r\n<13>three\0<13>four\r\n\0", &mut out);
        datagram_lines(b"", &mut out);
        datagram_lines(b"\n", &mut out);
        datagram_lines(b"<13>trace\n  at one\n  at two\n", &mut out);
        datagram_lines(b"no pri\n<13>after", &mut out);
        let got: Vec<&str> = out
            .iter()
            .map(|m| std::str::from_utf8(m).unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "<13>one",
                "<13>two",
                "<13>three",
                "<13>four",
                "<13>trace\n  at one\n  at two",
                "no pri",
                "<13>after"
            ]
        );
    }

    #[test]
    fn header_detection() {
        assert_eq!(
            header(b"12 <13>"),
            Header::Counted {
                len: 12,
                header_len: 3
            }
        );
        assert_eq!(header(b"12"), Header::NeedMore);
        assert_eq!(header(b"12 "), Header::NeedMore);
        assert_eq!(header(b"12x"), Header::Line);
        assert_eq!(header(b"12 x"), Header::Line);
        assert_eq!(header(b"123456789 <"), Header::Line);
        assert_eq!(header(b"<13>"), Header::Line);
    }
}
