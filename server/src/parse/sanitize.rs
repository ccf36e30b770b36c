//! Byte-level hygiene before parsing: lossy UTF-8, a length cap, control-character and binary
//! detection.

use std::borrow::Cow;

use super::flags;

/// Longest line kept, in bytes; longer lines are cut at a char boundary and flagged.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Decodes one line for parsing: strips one trailing `\r` (CRLF files), decodes invalid UTF-8
/// lossily ([`flags::INVALID_UTF8`]), cuts lines over [`MAX_LINE_BYTES`] at a char boundary
/// ([`flags::TRUNCATED`]) and reports NUL and other control characters except tab
/// ([`flags::CONTROL_CHARS`]). Control characters are kept: escaping them is the display's job,
/// and the stored line must stay faithful to what was received.
pub fn sanitize(bytes: &[u8]) -> (Cow<'_, str>, u32) {
    let mut bits = 0;
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let bytes = if bytes.len() > MAX_LINE_BYTES {
        bits |= flags::TRUNCATED;
        // A multi-byte char cut by the cap is not corruption in the source: drop its start
        // rather than decode it as a replacement character the sender never sent.
        without_cut_char(&bytes[..MAX_LINE_BYTES])
    } else {
        bytes
    };
    let mut text = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            bits |= flags::INVALID_UTF8;
            String::from_utf8_lossy(bytes)
        }
    };
    // Replacement characters take three bytes, so lossy decoding can push a line past the cap.
    if let Some(cut) = cap(&text) {
        let cut = cut.to_owned();
        bits |= flags::TRUNCATED;
        text = Cow::Owned(cut);
    }
    if has_control_chars(text.as_bytes()) {
        bits |= flags::CONTROL_CHARS;
    }
    (text, bits)
}

/// The longest prefix of `line` within [`MAX_LINE_BYTES`] that ends on a char boundary, or `None`
/// when the line already fits.
pub(crate) fn cap(line: &str) -> Option<&str> {
    if line.len() <= MAX_LINE_BYTES {
        return None;
    }
    let mut end = MAX_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    Some(&line[..end])
}

/// `bytes` without an incomplete UTF-8 sequence at its end. A char is at most four bytes, so
/// only the last three can start one that was cut.
fn without_cut_char(bytes: &[u8]) -> &[u8] {
    for back in 1..=bytes.len().min(3) {
        let start = bytes.len() - back;
        if let Err(e) = std::str::from_utf8(&bytes[start..])
            && e.valid_up_to() == 0
            && e.error_len().is_none()
        {
            return &bytes[..start];
        }
    }
    bytes
}

fn has_control_chars(b: &[u8]) -> bool {
    b.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f)
}

/// Whether a file's first bytes look binary (a compressed rotation, a database, a core dump), so
/// a directory watcher can skip it: any NUL, or more than one byte in ten being a control
/// character that text logs do not use.
pub fn looks_binary(sample: &[u8]) -> bool {
    if sample.is_empty() {
        return false;
    }
    if sample.contains(&0) {
        return true;
    }
    let odd = sample
        .iter()
        .filter(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || c == 0x7f)
        .count();
    odd * 10 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_line_is_borrowed_and_unflagged() {
        let (s, bits) = sanitize(b"Dec 10 06:55:46 LabSZ sshd[24200]: hello\tworld");
        assert!(matches!(s, Cow::Borrowed(_)));
        assert_eq!(bits, 0);
    }

    #[test]
    fn strips_one_trailing_carriage_return() {
        let (s, bits) = sanitize(b"abc\r\r");
        assert_eq!(s, "abc\r");
        assert_eq!(bits, flags::CONTROL_CHARS);
        assert_eq!(sanitize(b"abc\r").0, "abc");
    }

    #[test]
    fn invalid_utf8_is_replaced_and_flagged() {
        let (s, bits) = sanitize(b"user \xff\xfe from 1.2.3.4");
        assert_eq!(s, "user \u{fffd}\u{fffd} from 1.2.3.4");
        assert_eq!(bits, flags::INVALID_UTF8);
    }

    #[test]
    fn nul_and_escape_are_kept_and_flagged() {
        let (s, bits) = sanitize(b"a\0b\x1b[31mc");
        assert_eq!(s, "a\0b\x1b[31mc");
        assert_eq!(bits, flags::CONTROL_CHARS);
    }

    #[test]
    fn long_line_is_cut_at_a_char_boundary() {
        // 'é' is two bytes; an odd prefix puts the cap in the middle of one.
        let mut line = b"x".to_vec();
        line.extend("é".repeat(MAX_LINE_BYTES).as_bytes());
        let (s, bits) = sanitize(&line);
        assert_eq!(bits, flags::TRUNCATED);
        assert_eq!(s.len(), MAX_LINE_BYTES - 1);
        assert!(s.ends_with('é'));
    }

    /// Found by `parse::props`: with invalid bytes elsewhere in the line, the half of a
    /// four-byte char left by the cap was decoded as a replacement character that fitted.
    #[test]
    fn a_cut_char_is_dropped_even_when_other_bytes_are_invalid() {
        // Three bytes of a four-byte char then `A` decode to one replacement character, no
        // longer than the bytes; five bytes of head put the cap three bytes into a '𝄞'.
        let mut line = b"\xF0\x9F\x98Ax".to_vec();
        while line.len() <= MAX_LINE_BYTES {
            line.extend("𝄞".as_bytes());
        }
        let (s, bits) = sanitize(&line);
        assert_eq!(bits, flags::TRUNCATED | flags::INVALID_UTF8);
        assert!(s.starts_with("\u{fffd}Ax𝄞"));
        assert!(s.ends_with('𝄞'), "ends with {:?}", s.chars().last());
        assert_eq!(s.len(), MAX_LINE_BYTES - 3);
    }

    #[test]
    fn lossy_growth_is_capped_too() {
        let line = vec![0xffu8; MAX_LINE_BYTES];
        let (s, bits) = sanitize(&line);
        assert!(s.len() <= MAX_LINE_BYTES);
        assert_eq!(bits, flags::TRUNCATED | flags::INVALID_UTF8);
    }

    #[test]
    fn exactly_max_is_not_truncated() {
        let line = vec![b'a'; MAX_LINE_BYTES];
        assert_eq!(sanitize(&line).1, 0);
        assert_eq!(
            cap(&"a".repeat(MAX_LINE_BYTES + 1)).map(str::len),
            Some(MAX_LINE_BYTES)
        );
    }

    #[test]
    fn binary_detection() {
        assert!(looks_binary(b"\x1f\x8b\x08\x00\x00\x00\x00\x00"));
        assert!(looks_binary(b"SQLite format 3\0"));
        assert!(looks_binary(&[1, 2, 3, 4, 5, b'a', b'b']));
        assert!(!looks_binary(b"Dec 10 06:55:46 LabSZ sshd[24200]: ok\r\n"));
        assert!(!looks_binary("naïve ☃ log\n".as_bytes()));
        assert!(!looks_binary(b""));
    }
}
