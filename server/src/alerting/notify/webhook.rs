//! Webhook delivery: one POST with a JSON body (generic or Slack-shaped); any 2xx answer is a
//! delivery. Redirects are not followed, so a receiver cannot bounce the message elsewhere.

use std::time::Duration;

use serde_json::Value;

/// The HTTP client every webhook shares.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds")
}

pub async fn send(client: &reqwest::Client, url: &str, body: &Value) -> Result<(), String> {
    let res = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = res.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

/// A reqwest error with its causes, which name what went wrong (refused, timed out…).
fn describe(err: &reqwest::Error) -> String {
    let mut out = if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
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
