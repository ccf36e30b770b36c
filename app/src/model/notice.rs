//! The one-line answer a write leaves on the page ("Acknowledged alert 12."), and how it
//! survives the redirect after a plain form post: in a short-lived cookie, read once.

use serde::{Deserialize, Serialize};

/// The cookie that carries a notice from a form post to the page it redirects to.
pub const NOTICE_COOKIE: &str = "vigil_notice";

/// What a write said: a confirmation, or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            ok: true,
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
        }
    }

    /// The cookie value: `i.` or `e.` and the percent-encoded text (cookie values allow no
    /// spaces, commas, semicolons or quotes).
    pub fn to_cookie_value(&self) -> String {
        let mut out = String::from(if self.ok { "i." } else { "e." });
        out.push_str(&percent_encode(&self.text));
        out
    }

    /// Reads [`Self::to_cookie_value`] back; `None` for anything else.
    pub fn from_cookie_value(value: &str) -> Option<Self> {
        let (kind, text) = value.split_at_checked(2)?;
        let ok = match kind {
            "i." => true,
            "e." => false,
            _ => return None,
        };
        Some(Self {
            ok,
            text: percent_decode(text)?,
        })
    }

    /// The notice cookie's value in a `Cookie` request header, if any.
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == NOTICE_COOKIE)
            .and_then(|(_, value)| Self::from_cookie_value(value))
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space, as forms send it); `None` when the result is
/// not UTF-8 or an escape is malformed.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The `back` parameter of a query string, if it names a page of this site (`/…`, never
/// `//host` or a backslash trick, no control characters), ready for a `Location` header:
/// spaces and non-ASCII characters stay percent-encoded.
pub fn back_target(query: &str) -> Option<String> {
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("back="))?;
    let path = percent_decode(raw)?;
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    safe.then(|| {
        let mut out = String::with_capacity(path.len());
        for b in path.bytes() {
            if (0x21..=0x7e).contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_round_trips_through_its_cookie() {
        for n in [
            Notice::info("Created nadia. Their password, shown only now: a;b,c \"d\" é%"),
            Notice::error("permission denied"),
            Notice::info(""),
        ] {
            let value = n.to_cookie_value();
            assert!(
                !value.contains([' ', ';', ',', '"']),
                "not a valid cookie value: {value}"
            );
            assert_eq!(Notice::from_cookie_value(&value), Some(n.clone()));
            let header = format!("vigil_session=x; {NOTICE_COOKIE}={value}; other=1");
            assert_eq!(Notice::from_cookie_header(&header), Some(n));
        }
    }

    #[test]
    fn foreign_or_broken_cookie_values_are_ignored() {
        assert_eq!(Notice::from_cookie_value("x.hello"), None);
        assert_eq!(Notice::from_cookie_value("i.%zz"), None);
        assert_eq!(Notice::from_cookie_value("i.%ff"), None);
        assert_eq!(Notice::from_cookie_value("i"), None);
        assert_eq!(Notice::from_cookie_header("vigil_session=abc"), None);
    }

    #[test]
    fn back_names_only_pages_of_this_site() {
        assert_eq!(
            back_target("back=/alerts%3Fstatus%3Dopen%26q%3Da%20b").as_deref(),
            Some("/alerts?status=open&q=a%20b")
        );
        assert_eq!(
            back_target("x=1&back=/admin/users").as_deref(),
            Some("/admin/users")
        );
        assert_eq!(
            back_target("back=/alerts%3Fq%3D%C3%A9").as_deref(),
            Some("/alerts?q=%C3%A9")
        );
        for bad in [
            "back=https://evil.example/",
            "back=//evil.example/",
            "back=/%5C%5Cevil.example",
            "back=/a%0D%0ALocation:x",
            "back=",
            "other=/alerts",
        ] {
            assert_eq!(back_target(bad), None, "{bad}");
        }
    }
}
