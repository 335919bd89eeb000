//! Start-up settings: a short secret is refused, no secret
//! means a clearly flagged development mode.

use crate::helpers::postgres_server;
use loyalty_wallet::config::{Settings, DEV_CLIENT_ID, DEV_SECRET, MIN_SECRET_BYTES};
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_map(&vars)
}

#[test]
fn a_secret_shorter_than_32_bytes_is_refused() {
    let short = "s".repeat(MIN_SECRET_BYTES - 1);
    let error = settings(&[("LOYALTY_APP_SECRET", &short)]).expect_err("short secret refused");
    let message = error.to_string();
    assert!(message.contains("LOYALTY_APP_SECRET") && message.contains("32"), "{message}");
    assert!(!message.contains(&short), "the secret is not echoed: {message}");
    // Surrounding blanks do not count toward the length.
    let padded = format!("  {short}  ");
    assert!(settings(&[("LOYALTY_APP_SECRET", &padded)]).is_err());
}

#[test]
fn a_32_byte_secret_is_production_mode() {
    let secret = "s".repeat(MIN_SECRET_BYTES);
    let settings = settings(&[("LOYALTY_APP_SECRET", &secret), ("LOYALTY_CLIENT_ID", "client-1")]).expect("settings");
    assert!(!settings.development);
    assert_eq!(settings.app_secret.expose(), secret);
    assert_eq!(settings.client_id, "client-1");
    assert!(!format!("{settings:?}").contains(&secret), "the secret never reaches Debug output");
}

#[test]
fn no_secret_is_development_mode() {
    for pairs in [vec![], vec![("LOYALTY_APP_SECRET", "")], vec![("LOYALTY_APP_SECRET", "   ")]] {
        let settings = settings(&pairs).expect("settings");
        assert!(settings.development, "{pairs:?}");
        assert_eq!(settings.app_secret.expose(), DEV_SECRET);
        assert_eq!(settings.client_id, DEV_CLIENT_ID);
    }
}

#[test]
fn defaults_and_bad_values() {
    let defaults = settings(&[]).expect("defaults");
    assert_eq!(defaults.bind, "127.0.0.1:8080");
    assert_eq!(defaults.database_url, "loyalty-wallet.db");
    assert_eq!(defaults.body_limit_bytes, 64 * 1024);
    assert!(settings(&[("LOG_FORMAT", "yaml")]).is_err());
    assert!(settings(&[("LOYALTY_DB_POOL_SIZE", "many")]).is_err());
    let postgres = settings(&[("DATABASE_URL", "postgres://u@h/db")]).expect("pg");
    assert_eq!(postgres.database_url, "postgres://u@h/db");
}

/// Starts the binary in development mode on `db`, waits until it listens and
/// answers, lets the workers run a round, stops it; returns all it printed.
fn first_start(db: &std::path::Path) -> String {
    first_start_logging(db, Some("info"))
}

/// A first start with `RUST_LOG` set as given (None: the service's default filter).
fn first_start_logging(db: &std::path::Path, rust_log: Option<&str>) -> String {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    let mut command = Command::new(env!("CARGO_BIN_EXE_loyalty-wallet"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOYALTY_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", db);
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the binary");
    let (lines, seen) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ]
    .into_iter()
    .map(|stream| {
        let lines = lines.clone();
        std::thread::spawn(move || {
            BufReader::new(stream).lines().map_while(Result::ok).for_each(|l| drop(lines.send(l)))
        })
    })
    .collect();
    drop(lines);
    let mut printed = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let base = loop {
        let line =
            seen.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("no listening line within 60 s: {printed}")
            });
        printed.push_str(&line);
        printed.push('\n');
        if let Some(at) = line.find("listening base=") {
            break line[at + "listening base=".len()..].split_whitespace().next().expect("base").to_string();
        }
    };
    let ready = http_status(&base, "/readyz");
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let _ = child.kill();
    let _ = child.wait();
    for reader in readers {
        let _ = reader.join();
    }
    printed.extend(seen.try_iter().map(|l| l + "\n"));
    assert_eq!(ready, Some(200), "ready after the first start: {printed}");
    printed
}

/// Issue 14.10: a first start on a fresh file prints no ERROR line (the
/// journal switch and migrations happen on one connection before the pool
/// opens the file).
#[test]
fn ten_first_starts_in_development_mode_log_no_error() {
    for round in 0..10 {
        let dir = tempfile::tempdir().expect("dir");
        let printed = first_start(&dir.path().join("fresh.db"));
        assert!(printed.contains("DEVELOPMENT MODE"), "round {round}: {printed}");
        let errors: Vec<&str> = printed.lines().filter(|l| l.contains("ERROR")).collect();
        assert!(errors.is_empty(), "round {round}: ERROR lines on a first start: {errors:#?}");
    }
}

/// Issue 30.19: with the default log filter, start-up prints our own lines
/// only — not actix-server's "Tokio runtime found; starting in existing Tokio
/// runtime", which read like a problem to operators.
#[test]
fn a_default_start_prints_no_stray_runtime_line() {
    let dir = tempfile::tempdir().expect("dir");
    let printed = first_start_logging(&dir.path().join("fresh.db"), None);
    assert!(printed.contains("listening base="), "{printed}");
    assert!(!printed.contains("Tokio runtime found"), "{printed}");
}

/// The status of a plain HTTP/1.1 GET, without an async runtime.
fn http_status(base: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let address = base.strip_prefix("http://")?;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `serve` with `DATABASE_URL=url` (and RUST_BACKTRACE=1, as many
/// containers set it) until it exits; its status, how long it took, and all
/// it printed. A run longer than 60 s is killed and fails the test.
fn serve_until_exit(url: &str, timeout_secs: &str) -> (std::process::ExitStatus, std::time::Duration, String) {
    use std::process::{Command, Stdio};
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loyalty-wallet"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOYALTY_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", url)
        .env("LOYALTY_DB_CONNECT_TIMEOUT_SECS", timeout_secs)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let deadline = started + std::time::Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the service neither started nor exited within 60 s on {url}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let output = child.wait_with_output().expect("output");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status, elapsed, printed)
}

/// One ERROR line naming `cause` and `host`, a non-zero exit within
/// `within`, no backtrace, no password, nothing repeated.
fn assert_one_clear_error(url: &str, cause: &str, host: &str, within: std::time::Duration) {
    let (status, elapsed, printed) = serve_until_exit(url, "2");
    assert!(!status.success(), "exit status {status} for {url}: {printed}");
    assert!(elapsed <= within, "took {elapsed:?} (> {within:?}): {printed}");
    let errors: Vec<&str> = printed.lines().filter(|l| l.contains("ERROR") || l.contains("Error")).collect();
    assert_eq!(errors.len(), 1, "one error line: {printed}");
    assert!(errors[0].contains(cause) && errors[0].contains(host), "cause {cause:?} and host {host:?}: {printed}");
    assert!(!printed.contains("backtrace") && !printed.contains("s3cret-pw"), "{printed}");
    assert!(printed.lines().count() <= 3, "no flood: {printed}");
}

/// Issue 27.2: nothing listens on the port.
#[test]
fn an_unreachable_database_is_one_error_line_within_the_connect_timeout() {
    let url = "postgres://app:s3cret-pw@127.0.0.1:1/loyalty";
    assert_one_clear_error(url, "database unreachable", "127.0.0.1:1/loyalty", std::time::Duration::from_secs(5));
}

/// Issue 27.2: a server that does not speak TLS, asked for it; a login the
/// server refuses (an unknown role: the CI server trusts every password).
#[test]
fn a_server_without_tls_and_a_refused_login_are_one_error_line_each() {
    let Some(server) = postgres_server().filter(|url| !url.contains("sslmode")) else {
        eprintln!("skipped: needs a plain TEST_DATABASE_URL=postgres://…");
        return;
    };
    let within = std::time::Duration::from_secs(5);
    let host = server.split('@').nth(1).and_then(|rest| rest.split('/').next()).expect("host:port").to_string();
    let tls = format!("{server}?sslmode=require");
    assert_one_clear_error(&tls, "TLS to the database failed", &host, within);
    let stranger = server.replacen("postgres://postgres", "postgres://nobody-here:s3cret-pw", 1);
    assert_one_clear_error(&stranger, "database refused the login", &host, within);
}

/// Issue 27.2 over TLS (.ci/steps/pg_tls.sh): a wrong password for the
/// password-checked role `app`, and a CA that did not sign the server's
/// certificate.
#[test]
fn a_wrong_password_and_an_untrusted_certificate_are_one_error_line_each() {
    let Some(server) = postgres_server().filter(|url| url.contains("sslmode=verify-full")) else {
        eprintln!("skipped: needs the TLS TEST_DATABASE_URL of .ci/steps/pg_tls.sh");
        return;
    };
    let within = std::time::Duration::from_secs(5);
    let host = server.split('@').nth(1).and_then(|rest| rest.split('/').next()).expect("host:port").to_string();
    let wrong_password = server.replacen("postgres://postgres", "postgres://app:s3cret-pw", 1);
    assert_one_clear_error(&wrong_password, "database refused the login", &host, within);
    let dir = tempfile::tempdir().expect("dir");
    let stranger = crate::pg_certs::make("a CA this server never saw", &["localhost"]).expect("CA");
    let wrong_ca = dir.path().join("wrong-ca.crt");
    std::fs::write(&wrong_ca, stranger.ca_pem).expect("write CA");
    let rootcert = server.split("sslrootcert=").nth(1).and_then(|r| r.split('&').next()).expect("sslrootcert");
    let untrusted = server.replace(rootcert, &wrong_ca.to_string_lossy());
    assert_one_clear_error(&untrusted, "TLS to the database failed", &host, within);
}
