//! E-mail delivery over SMTP with lettre and rustls: STARTTLS, implicit TLS, or plain to a
//! relay on this machine (the only case the channel check lets through unencrypted). Alert
//! notifications are plain text; scheduled reports come as an attachment.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::channel::{Security, Stored};
use super::message::{self, Facts, body, subject};

pub async fn send(config: &Stored, facts: &Facts, timeout: Duration) -> Result<(), String> {
    let message = builder(config)?
        .subject(subject(facts))
        .header(ContentType::TEXT_PLAIN)
        .body(body(facts))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    deliver(config, message, timeout).await
}

/// A file to attach.
pub struct Attachment {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Sends a plain-text message with a file attached (a scheduled report) to the channel's
/// recipients.
pub async fn send_with_attachment(
    config: &Stored,
    subject: &str,
    text: String,
    file: Attachment,
    timeout: Duration,
) -> Result<(), String> {
    let content_type = ContentType::parse(file.content_type)
        .map_err(|e| format!("content type {}: {e}", file.content_type))?;
    let message = builder(config)?
        .subject(message::one_line(subject))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(text))
                // Base64 always: a report is data, never to be re-wrapped or re-encoded.
                .singlepart(
                    lettre::message::Attachment::new(file.file_name).body(
                        Body::new_with_encoding(file.bytes, ContentTransferEncoding::Base64)
                            .map_err(|_| "cannot encode the attachment".to_string())?,
                        content_type,
                    ),
                ),
        )
        .map_err(|e| format!("cannot build the message: {e}"))?;
    deliver(config, message, timeout).await
}

/// A message from the channel's sender to its recipients.
fn builder(config: &Stored) -> Result<lettre::message::MessageBuilder, String> {
    let from: Mailbox = config
        .from
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("sender address: {e}"))?;
    let mut builder = Message::builder().from(from);
    for to in &config.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|e| format!("recipient address {to}: {e}"))?;
        builder = builder.to(mailbox);
    }
    Ok(builder)
}

async fn deliver(config: &Stored, message: Message, timeout: Duration) -> Result<(), String> {
    let host = config.host.clone().ok_or("the channel has no SMTP host")?;
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
