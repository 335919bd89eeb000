//! Writes a test CA and a PostgreSQL server certificate for `localhost`
//! (rcgen) into a directory, plus `other-ca.crt`, a CA that signed nothing
//! of this server: the TLS CI step (.ci/steps/pg_tls.sh) and the
//! restart/failover scripts start PostgreSQL with them.
//!
//!     cargo run --example pg_test_certs -- /tmp/certs

#[path = "../tests/support/pg_certs.rs"]
mod pg_certs;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: pg_test_certs <directory>"))?;
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    pg_certs::write(&pg_certs::make("loyalty-wallet test CA", &["localhost"])?, &dir)?;
    let other = pg_certs::make("an unrelated CA", &["localhost"])?;
    std::fs::write(dir.join("other-ca.crt"), other.ca_pem)?;
    println!("{}", dir.display());
    Ok(())
}
