//! Property tests for syslog framing: generated messages, octet-counted or newline-terminated
//! and mixed at will, come out as exactly those messages however the byte stream is cut into
//! reads; no byte stream panics or depends on how it was cut; a datagram that packs messages
//! yields each of them.

use proptest::prelude::*;
use proptest::sample::Index;

use super::framing::{Decoder, KEEP_BYTES, datagram_lines};

/// Feeds `stream` in pieces split at `cuts`, then ends it.
fn decode(stream: &[u8], cuts: &[Index]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
    at.push(0);
    at.push(stream.len());
    at.sort_unstable();
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for pair in at.windows(2) {
        d.feed(&stream[pair[0]..pair[1]], &mut out);
    }
    d.finish(&mut out);
    out
}

/// Whether a line would be read as an octet-count header: a length without a leading zero, a
/// space and the `<` of a PRI.
fn counted_header(line: &[u8]) -> bool {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=8).contains(&digits) && line[0] != b'0' && line[digits..].starts_with(b" <")
}

/// A syslog message for octet counting: it starts with a PRI's `<` and may hold any byte,
/// newlines and NULs included.
fn counted_message() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..120).prop_map(|rest| {
        let mut msg = b"<".to_vec();
        msg.extend(rest);
        msg
    })
}

/// A message for newline framing: no terminator inside, no CR at its end (CRLF framing would
/// take it), and not the start of an octet-counted frame.
fn line_message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..120),
        "<[0-9]{1,3}>[ -~]{0,40}".prop_map(String::into_bytes),
        "[0-9]{1,10} [ -~]{0,20}".prop_map(String::into_bytes),
    ]
    .prop_filter("a framing byte inside", |m| {
        !m.iter().any(|&b| b == b'\n' || b == 0) && m.last() != Some(&b'\r') && !counted_header(m)
    })
}

/// How a newline-framed message may end; the last message of a stream may just stop.
const LINE_ENDS: &[&[u8]] = &[b"\n", b"\r\n", b"\0", b""];
/// What may follow the last message of a datagram.
const TRAILERS: &[&[u8]] = &[b"", b"\n", b"\r\n", b"\0", b"\n\0"];

#[derive(Debug, Clone)]
enum Framed {
    /// `LEN SP MSG`, then maybe a stray newline (an empty line, skipped).
    Counted(Vec<u8>, bool),
    /// `MSG` and its terminator; the last message of a stream may have none.
    Line(Vec<u8>, &'static [u8]),
}

impl Framed {
    fn message(&self) -> &[u8] {
        match self {
            Self::Counted(m, _) | Self::Line(m, _) => m,
        }
    }

    fn write(&self, out: &mut Vec<u8>, last: bool) {
        match self {
            Self::Counted(m, newline) => {
                out.extend(format!("{} ", m.len()).as_bytes());
                out.extend(m);
                if *newline {
                    out.push(b'\n');
                }
            }
            Self::Line(m, end) => {
                out.extend(m);
                if !last || !end.is_empty() {
                    out.extend(if end.is_empty() { b"\n" } else { *end });
                }
            }
        }
    }
}

fn framed() -> impl Strategy<Value = Framed> {
    prop_oneof![
        (counted_message(), any::<bool>()).prop_map(|(m, nl)| Framed::Counted(m, nl)),
        (line_message(), prop::sample::select(LINE_ENDS)).prop_map(|(m, end)| Framed::Line(m, end)),
    ]
}

fn stream_of(messages: &[Framed]) -> Vec<u8> {
    let mut stream = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        m.write(&mut stream, i + 1 == messages.len());
    }
    stream
}

proptest! {
    #![proptest_config(crate::parse::props_config(256))]

    #[test]
    fn every_message_comes_out_whatever_the_reads(
        messages in prop::collection::vec(framed(), 0..12),
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let stream = stream_of(&messages);
        let expected: Vec<&[u8]> = messages.iter().map(Framed::message).collect();
        prop_assert_eq!(decode(&stream, &cuts), expected);
    }

    /// A message over the keep limit keeps its first bytes, and the next message is intact.
    #[test]
    fn oversized_messages_keep_their_start_and_the_next_one(
        counted in any::<bool>(),
        len in (KEEP_BYTES - 2)..(KEEP_BYTES + 3),
        next in framed(),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let mut big = b"<13>".to_vec();
        big.resize(len, b'x');
        let first = if counted { Framed::Counted(big.clone(), false) } else { Framed::Line(big.clone(), b"\n") };
        let stream = stream_of(&[first, next.clone()]);
        let out = decode(&stream, &cuts);
        prop_assert_eq!(out.len(), 2);
        prop_assert_eq!(&out[0][..], &big[..len.min(KEEP_BYTES)]);
        prop_assert_eq!(&out[1][..], next.message());
    }

    /// Any bytes at all: frames are never empty or over the limit, and how the stream was cut
    /// into reads changes nothing.
    #[test]
    fn any_stream_decodes_the_same_in_any_reads(
        stream in prop::collection::vec(
            prop_oneof![
                4 => any::<u8>(),
                1 => prop::sample::select(&b"\n\r\0 <123456789"[..]),
            ],
            0..400,
        ),
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let whole = decode(&stream, &[]);
        for frame in &whole {
            prop_assert!(!frame.is_empty() && frame.len() <= KEEP_BYTES);
        }
        prop_assert_eq!(decode(&stream, &cuts), whole);
    }

    /// A datagram that packs messages one per line yields each; terminators at its end are not
    /// a message.
    #[test]
    fn a_packed_datagram_yields_each_message(
        messages in prop::collection::vec(
            r"<[0-9]{1,3}>[^\n\r\x00]{0,40}".prop_map(String::into_bytes),
            1..8,
        ),
        seps in prop::collection::vec(prop::sample::select(&LINE_ENDS[..3]), 8),
        trailer in prop::sample::select(TRAILERS),
    ) {
        let mut datagram = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            if i > 0 {
                datagram.extend(seps[i]);
            }
            datagram.extend(m);
        }
        datagram.extend(trailer);
        let mut out = Vec::new();
        datagram_lines(&datagram, &mut out);
        prop_assert_eq!(out, messages);
    }

    /// A datagram whose lines do not start with `<` is one message, multi-line as it came.
    #[test]
    fn a_datagram_is_one_message(datagram in prop::collection::vec(any::<u8>(), 0..300)) {
        let packs = datagram.windows(2).any(|w| matches!(w[0], b'\n' | 0) && w[1] == b'<');
        prop_assume!(!packs);
        let end = datagram
            .iter()
            .rposition(|&b| !matches!(b, b'\n' | b'\r' | 0))
            .map_or(0, |i| i + 1);
        let body = &datagram[..end];
        let mut out = Vec::new();
        datagram_lines(&datagram, &mut out);
        let expected: Vec<&[u8]> = if body.is_empty() { vec![] } else { vec![body] };
        prop_assert_eq!(out, expected);
    }
}
