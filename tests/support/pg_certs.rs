//! Test certificates for PostgreSQL over TLS, made with rcgen: a CA and a
//! server certificate for `localhost` only (so `127.0.0.1` fails
//! `verify-full`'s host name check), or an unrelated CA (wrong-CA checks).
#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::path::Path;

/// PEM texts of a CA and of a server certificate and key it signed.
pub struct TestPki {
    pub ca_pem: String,
    pub server_pem: String,
    pub server_key_pem: String,
}

/// A fresh CA (named `name`) and a server certificate for `hosts`.
pub fn make(name: &str, hosts: &[&str]) -> anyhow::Result<TestPki> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca_cert = ca.self_signed(&ca_key)?;
    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())?;
    server.distinguished_name.push(DnType::CommonName, hosts.first().copied().unwrap_or("localhost"));
    let server_cert = server.signed_by(&server_key, &ca_cert, &ca_key)?;
    Ok(TestPki { ca_pem: ca_cert.pem(), server_pem: server_cert.pem(), server_key_pem: server_key.serialize_pem() })
}

/// Writes `ca.crt`, `server.crt` and `server.key` (mode 0600, as
/// PostgreSQL requires of its key) into `dir`.
pub fn write(pki: &TestPki, dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(dir.join("ca.crt"), &pki.ca_pem)?;
    std::fs::write(dir.join("server.crt"), &pki.server_pem)?;
    let key = dir.join("server.key");
    std::fs::write(&key, &pki.server_key_pem)?;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}
