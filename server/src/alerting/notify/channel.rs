//! Channel kinds and their stored settings: checked once when a channel is created or changed,
//! so the delivery worker only ever sees settings it can use.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use app::model::notifications::{ChannelConfig, ChannelConfigView};

pub const KINDS: [&str; 3] = ["webhook", "slack", "email"];
pub const SECURITIES: [&str; 3] = ["starttls", "tls", "plain"];
pub const MAX_RATE: i32 = 10_000;
pub const DEFAULT_RATE: i32 = 60;
pub const MAX_RECIPIENTS: usize = 50;
const MAX_FIELD: usize = 2048;

/// SMTP connection security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    StartTls,
    Tls,
    /// No encryption at all; only to a relay on this machine.
    Plain,
}

impl Security {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            "plain" => Some(Self::Plain),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::Plain => 25,
        }
    }
}

/// What `notification_channels.config` holds. The password is stored in the clear because
/// Vigil must present it to the SMTP server; the API never returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

impl Stored {
    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("channel settings serialize")
    }

    pub fn security(&self) -> Security {
        self.security
            .as_deref()
            .and_then(Security::parse)
            .unwrap_or(Security::StartTls)
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.security().default_port())
    }

    pub fn view(&self) -> ChannelConfigView {
        ChannelConfigView {
            url: self.url.clone(),
            host: self.host.clone(),
            port: self.host.as_ref().map(|_| self.port()),
            security: self
                .host
                .as_ref()
                .map(|_| self.security.clone().unwrap_or_else(|| "starttls".into())),
            username: self.username.clone(),
            password_set: self.password.is_some(),
            from: self.from.clone(),
            to: (!self.to.is_empty()).then(|| self.to.clone()),
        }
    }
}

/// Checks a channel's settings for its kind, naming the field and the problem. `previous` is
/// the stored settings on a change: its password stays when the new settings give none.
pub fn check(
    kind: &str,
    config: ChannelConfig,
    previous: Option<&Stored>,
) -> Result<Stored, String> {
    if !KINDS.contains(&kind) {
        return Err(format!("kind: `{kind}` is not one of {}", KINDS.join(", ")));
    }
    if kind == "email" {
        return check_email(config, previous);
    }
    for (field, given) in [
        ("host", config.host.is_some()),
        ("port", config.port.is_some()),
        ("security", config.security.is_some()),
        ("username", config.username.is_some()),
        ("password", config.password.is_some()),
        ("from", config.from.is_some()),
        ("to", config.to.is_some()),
    ] {
        if given {
            return Err(format!("config.{field}: not a setting of {kind} channels"));
        }
    }
    let url = config
        .url
        .ok_or_else(|| format!("config.url: required for {kind} channels"))?;
    let url = url.trim().to_string();
    let parsed = url::Url::parse(&url).map_err(|e| format!("config.url: not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("config.url: must be an http:// or https:// URL with a host".into());
    }
    if url.len() > MAX_FIELD {
        return Err(format!("config.url: at most {MAX_FIELD} characters"));
    }
    Ok(Stored {
        url: Some(url),
        ..Stored::default()
    })
}

fn check_email(config: ChannelConfig, previous: Option<&Stored>) -> Result<Stored, String> {
    if config.url.is_some() {
        return Err("config.url: not a setting of email channels".into());
    }
    let host = config
        .host
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .ok_or("config.host: required for email channels")?;
    if host.len() > 253 || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("config.host: not a host name or address".into());
    }
    let security_name = config.security.unwrap_or_else(|| "starttls".into());
    let security = Security::parse(&security_name).ok_or_else(|| {
        format!(
            "config.security: `{security_name}` is not one of {}",
            SECURITIES.join(", ")
        )
    })?;
    if security == Security::Plain && !is_loopback(&host) {
        return Err(format!(
            "config.security: `plain` sends mail unencrypted and is only allowed to a loopback \
             host (localhost, 127.0.0.1, ::1), not `{host}`: use `starttls` or `tls`"
        ));
    }
    if config.port == Some(0) {
        return Err("config.port: between 1 and 65535".into());
    }
    let username = config.username.filter(|u| !u.is_empty());
    let password = config
        .password
        .or_else(|| previous.and_then(|p| p.password.clone()));
    if password.is_some() && username.is_none() {
        return Err("config.username: required with a password".into());
    }
    for (field, v) in [("username", &username), ("password", &password)] {
        if v.as_ref().is_some_and(|v| v.len() > MAX_FIELD) {
            return Err(format!("config.{field}: at most {MAX_FIELD} characters"));
        }
    }
    let from = config
        .from
        .map(|f| f.trim().to_string())
        .ok_or("config.from: required for email channels")?;
    check_mailbox("config.from", &from)?;
    let to = config.to.unwrap_or_default();
    if to.is_empty() || to.len() > MAX_RECIPIENTS {
        return Err(format!(
            "config.to: between 1 and {MAX_RECIPIENTS} addresses"
        ));
    }
    let to: Vec<String> = to.into_iter().map(|t| t.trim().to_string()).collect();
    for t in &to {
        check_mailbox("config.to", t)?;
    }
    Ok(Stored {
        host: Some(host),
        port: config.port,
        security: Some(security_name),
        username,
        password,
        from: Some(from),
        to,
        url: None,
    })
}

fn check_mailbox(field: &str, value: &str) -> Result<(), String> {
    if value.len() > 320 {
        return Err(format!("{field}: an address is at most 320 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{field}: `{}` is not an e-mail address",
            value.escape_debug()
        ));
    }
    value
        .parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|_| format!("{field}: `{value}` is not an e-mail address"))
}

/// Whether `host` names this machine: `localhost` or a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A checked message rate.
pub fn check_rate(rate: i32) -> Result<i32, String> {
    if (1..=MAX_RATE).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!(
            "rate_limit_per_minute: {rate} is out of range: between 1 and {MAX_RATE}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(host: &str, security: &str) -> ChannelConfig {
        ChannelConfig {
            host: Some(host.into()),
            security: Some(security.into()),
            from: Some("Vigil <vigil@example.com>".into()),
            to: Some(vec!["soc@example.com".into()]),
            ..ChannelConfig::default()
        }
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        for host in ["localhost", "127.0.0.1", "127.3.2.1", "::1", "[::1]"] {
            assert!(check("email", email(host, "plain"), None).is_ok(), "{host}");
        }
        for host in [
            "mail.example.com",
            "192.0.2.1",
            "10.0.0.1",
            "localhost.example.com",
        ] {
            let err = check("email", email(host, "plain"), None).unwrap_err();
            assert!(err.starts_with("config.security"), "{host}: {err}");
        }
        assert!(check("email", email("mail.example.com", "starttls"), None).is_ok());
        assert!(check("email", email("mail.example.com", "tls"), None).is_ok());
    }

    #[test]
    fn settings_of_another_kind_are_named() {
        let err = check("webhook", email("localhost", "plain"), None).unwrap_err();
        assert!(err.starts_with("config.host"), "{err}");
        let web = ChannelConfig {
            url: Some("ftp://example.com/".into()),
            ..ChannelConfig::default()
        };
        assert!(
            check("webhook", web, None)
                .unwrap_err()
                .starts_with("config.url")
        );
        assert!(
            check("pager", ChannelConfig::default(), None)
                .unwrap_err()
                .starts_with("kind")
        );
    }

    #[test]
    fn header_breaking_addresses_are_refused() {
        let mut c = email("localhost", "plain");
        c.to = Some(vec!["a@example.com\r\nBcc: x@evil.example".into()]);
        assert!(
            check("email", c, None)
                .unwrap_err()
                .starts_with("config.to")
        );
    }

    #[test]
    fn a_change_without_password_keeps_the_stored_one() {
        let mut c = email("mail.example.com", "tls");
        c.username = Some("vigil".into());
        c.password = Some("secret".into());
        let stored = check("email", c, None).unwrap();
        let mut again = email("mail.example.com", "tls");
        again.username = Some("vigil".into());
        let kept = check("email", again, Some(&stored)).unwrap();
        assert_eq!(kept.password.as_deref(), Some("secret"));
        assert!(kept.view().password_set);
        assert_eq!(kept.view().port, Some(465));
    }
}
