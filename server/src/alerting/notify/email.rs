//! E-mail delivery over SMTP with lettre and rustls: STARTTLS, implicit TLS, or plain to a
//! relay on this machine (the only case the channel check lets through unencrypted).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::channel::{Security, Stored};
use super::message::{Facts, body, subject};

pub async fn send(config: &Stored, facts: &Facts, timeout: Duration) -> Result<(), String> {
    let host = config.host.clone().ok_or("the channel has no SMTP host")?;
    let from: Mailbox = config
        .from
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("sender address: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(subject(facts))
        .header(ContentType::TEXT_PLAIN);
    for to in &config.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|e| format!("recipient address {to}: {e}"))?;
        builder = builder.to(mailbox);
    }
    let message = builder
        .body(body(facts))
        .map_err(|e| format!("cannot build the message: {e}"))?;

    let tls = match config.security() {
        Security::Plain => Tls::None,
        security => {
            let params = TlsParameters::new(host.clone())
                .map_err(|e| format!("TLS settings for {host}: {e}"))?;
            if security == Security::Tls {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(config.port())
        .tls(tls)
        .timeout(Some(timeout));
    if let (Some(user), Some(pass)) = (&config.username, &config.password) {
        transport = transport.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    let transport = transport.build();
    match tokio::time::timeout(timeout * 3, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("SMTP: {}", describe(&e))),
        Err(_) => Err("SMTP: timed out".into()),
    }
}

fn describe(err: &lettre::transport::smtp::Error) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        // Many errors already print their cause: name each one once.
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
