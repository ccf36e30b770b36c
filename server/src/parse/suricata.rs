//! Suricata eve.json events: alerts become `intrusion_detection` events with the rule, the
//! other event types keep their protocol details under `suricata.*`.

use serde_json::{Map, Value};

use super::json::{take, take_port, take_str, timestamp};
use super::{ParseContext, ParsedEvent, scan};

pub(crate) fn from_map(mut map: Map<String, Value>, line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("suricata", line);
    if let Some(ts) = map.remove("timestamp") {
        ev.timestamp = timestamp(&ts, ctx);
    }
    let event_type = take_str(&mut map, &["event_type"]).unwrap_or_default();
    if let Some(ip) = take_str(&mut map, &["src_ip"]) {
        scan::set_source(&mut ev, &ip);
    }
    ev.source_port = take_port(&mut map, &["src_port"]);
    if let Some(ip) = take_str(&mut map, &["dest_ip"]) {
        scan::set_destination(&mut ev, &ip);
    }
    ev.destination_port = take_port(&mut map, &["dest_port"]);
    if let Some(proto) = take_str(&mut map, &["proto"]) {
        ev.set("network.transport", proto.to_ascii_lowercase());
    }
    if let Some(app) = take_str(&mut map, &["app_proto"]) {
        ev.set("network.protocol", app);
    }
    if let Some(host) = take_str(&mut map, &["host"]) {
        ev.host = Some(host);
    }
    let category = match event_type.as_str() {
        "alert" => "intrusion_detection",
        "http" => "web",
        "stats" => "host",
        _ => "network",
    };
    ev.event_category = Some(category.to_owned());
    ev.event_action = Some(format!("suricata_{event_type}"));
    ev.set("suricata.event_type", event_type.as_str());

    match event_type.as_str() {
        "alert" => alert(&mut ev, &mut map),
        "http" => http(&mut ev, &mut map),
        "dns" => {
            if let Some(name) = map
                .get("dns")
                .and_then(|d| d.get("rrname").or_else(|| d.pointer("/queries/0/rrname")))
                .and_then(Value::as_str)
            {
                ev.set("dns.question.name", name);
            }
        }
        _ => {}
    }
    if ev.message == line {
        ev.message = summary(&ev, &event_type);
    }
    for (k, v) in map {
        ev.fields.insert(format!("suricata.{k}"), v);
    }
    ev
}

fn alert(ev: &mut ParsedEvent, map: &mut Map<String, Value>) {
    let Some(Value::Object(mut alert)) = map.remove("alert") else {
        return;
    };
    if let Some(sig) = take_str(&mut alert, &["signature"]) {
        ev.set("rule.name", sig.as_str());
        ev.message = sig;
    }
    if let Some(id) = take(&mut alert, &["signature_id"]) {
        ev.set("rule.id", id);
    }
    if let Some(cat) = take_str(&mut alert, &["category"]) {
        ev.set("rule.category", cat);
    }
    if let Some(sev) = take(&mut alert, &["severity"]).and_then(|s| s.as_u64()) {
        // Suricata: 1 high, 2 medium, 3 low, 4 informational.
        let level = match sev {
            0 | 1 => "critical",
            2 => "error",
            3 => "warning",
            _ => "info",
        };
        ev.level = Some(level.to_owned());
        ev.set("event.severity", sev);
    }
    if let Some(action) = take_str(&mut alert, &["action"]) {
        ev.event_outcome = Some("unknown".to_owned());
        ev.set("suricata.alert.action", action);
    }
    for (k, v) in alert {
        ev.fields.insert(format!("suricata.alert.{k}"), v);
    }
}

fn http(ev: &mut ParsedEvent, map: &mut Map<String, Value>) {
    let Some(Value::Object(http)) = map.get("http") else {
        return;
    };
    let pairs = [
        ("http_method", "http.request.method"),
        ("url", "url.original"),
        ("hostname", "url.domain"),
        ("http_user_agent", "user_agent.original"),
        ("status", "http.response.status_code"),
        ("http_refer", "http.request.referrer"),
    ];
    let found: Vec<(&str, Value)> = pairs
        .iter()
        .filter_map(|(from, to)| http.get(*from).map(|v| (*to, v.clone())))
        .collect();
    for (k, v) in found {
        ev.set(k, v);
    }
}

fn summary(ev: &ParsedEvent, event_type: &str) -> String {
    let peer = |ip: &Option<String>, port: Option<u16>| match (ip, port) {
        (Some(ip), Some(p)) => format!("{ip}:{p}"),
        (Some(ip), None) => ip.clone(),
        _ => "-".to_owned(),
    };
    format!(
        "{event_type} {} -> {}",
        peer(&ev.source_ip, ev.source_port),
        peer(&ev.destination_ip, ev.destination_port)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(line: &str) -> ParsedEvent {
        crate::parse::json::parse(line, &ParseContext::new(Utc::now()))
    }

    #[test]
    fn alert() {
        let ev = run(
            r#"{"timestamp":"2022-02-08T11:33:00.175195-0500","flow_id":1117051772115445,"event_type":"alert","src_ip":"206.190.49.109","src_port":25,"dest_ip":"10.2.8.102","dest_port":49890,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2260002,"rev":1,"signature":"SURICATA Applayer Detect protocol only one direction","category":"Generic Protocol Command Decode","severity":3},"app_proto":"smtp"}"#,
        );
        assert_eq!(ev.parser, "suricata");
        assert_eq!(ev.event_category.as_deref(), Some("intrusion_detection"));
        assert_eq!(ev.event_action.as_deref(), Some("suricata_alert"));
        assert_eq!(
            ev.fields["rule.name"],
            "SURICATA Applayer Detect protocol only one direction"
        );
        assert_eq!(ev.fields["rule.id"], 2260002);
        assert_eq!(ev.level.as_deref(), Some("warning"));
        assert_eq!(ev.source_ip.as_deref(), Some("206.190.49.109"));
        assert_eq!(ev.destination_port, Some(49890));
        assert_eq!(ev.fields["network.transport"], "tcp");
        assert_eq!(ev.fields["suricata.flow_id"], 1117051772115445u64);
        assert_eq!(ev.fields["suricata.alert.gid"], 1);
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2022-02-08T16:33:00.175195+00:00"
        );
        assert_eq!(
            ev.message,
            "SURICATA Applayer Detect protocol only one direction"
        );
    }

    #[test]
    fn http_and_dns() {
        let ev = run(
            r#"{"timestamp":"2022-02-08T09:40:29.080710-0500","flow_id":1,"event_type":"http","src_ip":"10.2.8.102","src_port":49730,"dest_ip":"91.240.118.172","dest_port":80,"proto":"TCP","http":{"hostname":"91.240.118.172","url":"/hh/hh.html","http_user_agent":"Mozilla/4.0","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1814}}"#,
        );
        assert_eq!(ev.event_category.as_deref(), Some("web"));
        assert_eq!(ev.fields["url.original"], "/hh/hh.html");
        assert_eq!(ev.fields["http.request.method"], "GET");
        assert_eq!(ev.fields["http.response.status_code"], 200);
        assert_eq!(ev.message, "http 10.2.8.102:49730 -> 91.240.118.172:80");
        let ev = run(
            r#"{"timestamp":"2022-02-08T09:40:31.064321-0500","flow_id":2,"event_type":"dns","src_ip":"10.2.8.102","src_port":49278,"dest_ip":"10.2.8.8","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"ttisecurity.com"}}"#,
        );
        assert_eq!(ev.fields["dns.question.name"], "ttisecurity.com");
        assert_eq!(ev.event_action.as_deref(), Some("suricata_dns"));
    }
}
