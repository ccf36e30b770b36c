//! Unit tests for the sshd message parser, one per message shape.

use super::*;

fn run(msg: &str) -> ParsedEvent {
    let mut ev = ParsedEvent::new("sshd", msg);
    parse(&mut ev, msg);
    ev
}

fn action(ev: &ParsedEvent) -> (&str, &str) {
    (
        ev.event_action.as_deref().unwrap_or(""),
        ev.event_outcome.as_deref().unwrap_or(""),
    )
}

#[test]
fn failed_password_invalid_user() {
    let ev = run("Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2");
    assert_eq!(action(&ev), ("ssh_login", "failure"));
    assert_eq!(ev.user_name.as_deref(), Some("ROOT"));
    assert_eq!(ev.source_ip.as_deref(), Some("194.117.26.69"));
    assert_eq!(ev.source_port, Some(50273));
    assert_eq!(ev.fields["ssh.method"], "password");
    assert_eq!(ev.fields["ssh.protocol"], "ssh2");
    assert_eq!(ev.fields["ssh.invalid_user"], true);
    assert_eq!(ev.event_category.as_deref(), Some("authentication"));
}

#[test]
fn accepted_publickey_with_key_info() {
    let ev = run("Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48:xx");
    assert_eq!(action(&ev), ("ssh_login", "success"));
    assert_eq!(ev.fields["ssh.method"], "publickey");
    assert_eq!(ev.fields["ssh.auth_info"], "DSA 36:48:xx");
    assert_eq!(ev.user_name.as_deref(), Some("git"));
}

#[test]
fn keyboard_interactive_pam_and_ipv6_without_port() {
    let ev = run(
        "Failed keyboard-interactive/pam for invalid user jamedds from 205.186.180.77 port 33723 ssh2",
    );
    assert_eq!(ev.fields["ssh.method"], "keyboard-interactive/pam");
    let ev = run("Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1");
    assert_eq!(ev.source_ip.as_deref(), Some("aaaa:bbbb:cccc:1234::1:1"));
    assert_eq!(ev.source_port, None);
}

#[test]
fn empty_user_name() {
    let ev = run("Failed password for invalid user  from 1.2.3.4 port 22 ssh2");
    assert_eq!(ev.user_name, None);
    assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    let ev = run("Invalid user  from 192.0.2.68 port 34916");
    assert_eq!(action(&ev), ("ssh_invalid_user", "failure"));
    assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.68"));
}

#[test]
fn injected_user_names_do_not_move_the_peer() {
    let ev = run("Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2");
    assert_eq!(ev.source_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ev.user_name.as_deref(), Some("from 10.10.1.1"));
    let ev = run(
        "Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        ev.user_name.as_deref(),
        Some("test from 10.10.1.2 port 55555 ssh2")
    );
    let ev = run(
        "Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ev.user_name.as_deref(), Some("test"));
}

#[test]
fn invalid_user_variants() {
    let ev = run("Invalid user webmaster from 173.234.31.186");
    assert_eq!(ev.user_name.as_deref(), Some("webmaster"));
    assert_eq!(ev.source_ip.as_deref(), Some("173.234.31.186"));
    let ev = run("input_userauth_request: invalid user webmaster [preauth]");
    assert_eq!(action(&ev), ("ssh_invalid_user", "failure"));
    assert_eq!(ev.user_name.as_deref(), Some("webmaster"));
    assert_eq!(ev.fields["ssh.preauth"], true);
}

#[test]
fn preauth_disconnects() {
    let ev = run("Disconnected from invalid user ftp 92.255.85.135 port 26138 [preauth]");
    assert_eq!(action(&ev), ("ssh_disconnect", "unknown"));
    assert_eq!(ev.user_name.as_deref(), Some("ftp"));
    assert_eq!(ev.source_port, Some(26138));
    let ev =
        run("Connection closed by authenticating user root 206.81.24.125 port 45362 [preauth]");
    assert_eq!(ev.user_name.as_deref(), Some("root"));
    assert_eq!(ev.source_ip.as_deref(), Some("206.81.24.125"));
    let ev = run(
        "Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.11"));
    assert_eq!(ev.user_name.as_deref(), Some("test 127.0.0.1 port 12345"));
    let ev = run("Disconnected from totobad user ftp 92.255.85.135 port 26138 [preauth]");
    assert_eq!(ev.user_name, None);
    let ev = run("Connection closed by 118.27.24.104 port 33594 [preauth]");
    assert_eq!(ev.source_ip.as_deref(), Some("118.27.24.104"));
    let ev = run("Connection reset by 192.0.2.16 port 51280");
    assert_eq!(ev.source_port, Some(51280));
}

#[test]
fn received_disconnect_shapes() {
    let ev = run("Received disconnect from 198.51.100.76 port 58846:11: Bye Bye [preauth]");
    assert_eq!(ev.source_ip.as_deref(), Some("198.51.100.76"));
    assert_eq!(ev.source_port, Some(58846));
    assert_eq!(ev.fields["ssh.disconnect_code"], 11);
    assert_eq!(ev.fields["ssh.reason"], "Bye Bye");
    let ev = run(
        "error: Received disconnect from 94.249.236.6: 3: Ha ha, suckers!: Auth fail [preauth]",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("94.249.236.6"));
    assert_eq!(ev.fields["ssh.disconnect_code"], 3);
    assert_eq!(ev.level.as_deref(), Some("error"));
}

#[test]
fn too_many_failures() {
    let ev = run(
        "error: maximum authentication attempts exceeded for invalid user xxx from 192.0.2.7 port 49941 ssh2 [preauth]",
    );
    assert_eq!(action(&ev), ("ssh_max_auth_attempts", "failure"));
    assert_eq!(ev.user_name.as_deref(), Some("xxx"));
    assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.7"));
    let ev = run("Disconnecting: Too many authentication failures for root [preauth]");
    assert_eq!(action(&ev), ("ssh_max_auth_attempts", "failure"));
    assert_eq!(ev.user_name.as_deref(), Some("root"));
    let ev = run(
        "Disconnecting invalid user xxx 192.0.2.7 port 49941: Too many authentication failures [preauth]",
    );
    assert_eq!(action(&ev), ("ssh_max_auth_attempts", "failure"));
    assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.7"));
}

#[test]
fn break_in_warnings() {
    let ev = run(
        "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    );
    assert_eq!(action(&ev), ("ssh_reverse_mapping_failed", "failure"));
    assert_eq!(ev.source_ip.as_deref(), Some("173.234.31.186"));
    assert_eq!(ev.fields["source.domain"], "ns.marryaldkfaczcz.com");
    let ev = run(
        "Address 1.2.3.4 maps to 1234.bbbbbb.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
}

#[test]
fn not_allowed_and_root_refused() {
    let ev = run("User root from 211.188.220.49 not allowed because not listed in AllowUsers");
    assert_eq!(action(&ev), ("ssh_user_not_allowed", "failure"));
    assert_eq!(ev.user_name.as_deref(), Some("root"));
    assert_eq!(ev.source_ip.as_deref(), Some("211.188.220.49"));
    assert_eq!(ev.fields["ssh.reason"], "not listed in AllowUsers");
    let ev = run("User root not allowed because account is locked");
    assert_eq!(ev.source_ip, None);
    let ev = run("ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4");
    assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(ev.user_name.as_deref(), Some("root"));
}

#[test]
fn connection_and_negotiation() {
    let ev = run("Connection from 115.249.163.77 port 51353 on 127.0.0.1 port 22");
    assert_eq!(action(&ev), ("ssh_connection", "unknown"));
    assert_eq!(ev.source_port, Some(51353));
    assert_eq!(ev.destination_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ev.destination_port, Some(22));
    let ev = run(
        "Unable to negotiate with 123.57.135.134 port 45626: no matching key exchange method found. Their offer: x [preauth]",
    );
    assert_eq!(action(&ev), ("ssh_negotiation_failed", "failure"));
    assert_eq!(ev.source_port, Some(45626));
    let ev = run(
        "Bad protocol version identification 'dummy string' from 192.0.2.1' from 69.61.56.115 port 31778",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("69.61.56.115"));
    let ev = run("fatal: Timeout before authentication for 192.168.9.212 port 47056");
    assert_eq!(action(&ev), ("ssh_timeout", "failure"));
    assert_eq!(ev.level.as_deref(), Some("critical"));
    let ev = run(
        "refused connect from _U2FsdGVkX19P3BCJmFBHhjLza8BcMH06WCUVwttMHpE=_@::ffff:218.249.210.161 (::ffff:218.249.210.161)",
    );
    assert_eq!(ev.source_ip.as_deref(), Some("218.249.210.161"));
}

#[test]
fn pam_lines_inside_sshd() {
    let ev = run(
        "error: PAM: Authentication failure for test-ipv6 from 2606:2800:220:1:248:1893:25c8:1946",
    );
    assert_eq!(action(&ev), ("pam_auth_failure", "failure"));
    assert_eq!(ev.user_name.as_deref(), Some("test-ipv6"));
    assert_eq!(
        ev.source_ip.as_deref(),
        Some("2606:2800:220:1:248:1893:25c8:1946")
    );
    let ev =
        run("error: PAM: authentication error for james from 205.186.180.88 via 192.168.1.201");
    assert_eq!(ev.source_ip.as_deref(), Some("205.186.180.88"));
    let ev = run(
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ",
    );
    assert_eq!(action(&ev), ("pam_auth_failure", "failure"));
    assert_eq!(ev.source_ip.as_deref(), Some("173.234.31.186"));
    let ev = run(
        "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
    );
    assert_eq!(ev.fields["pam.more_failures"], 2);
}

#[test]
fn solaris_msgid_prefix() {
    let ev = run(
        "[ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2",
    );
    assert_eq!(ev.fields["syslog.msgid"], "ID 800047 auth.info");
    assert_eq!(ev.user_name.as_deref(), Some("<invalid username>"));
    assert_eq!(ev.source_ip.as_deref(), Some("205.186.180.55"));
}

#[test]
fn unknown_message_still_records_the_peer() {
    let ev = run(
        "Magic value check failed (4289475479) on obfuscated handshake from 94.232.46.213 port 62730",
    );
    assert_eq!(ev.event_action, None);
    assert_eq!(ev.source_ip.as_deref(), Some("94.232.46.213"));
    assert_eq!(ev.source_port, Some(62730));
    let ev = run("Server listening on 0.0.0.0 port 22.");
    assert_eq!(ev.event_action, None);
    assert_eq!(ev.source_ip, None);
}
