//! How the connector reaches its database: in the clear on a private network or a local
//! socket, or over TLS, as a managed PostgreSQL asks. Set in the URL, as libpq's are:
//! `sslmode=require` (or `verify-ca`, `verify-full`: the server's certificate is always
//! checked, its chain and its name) and `sslrootcert=/path/to/ca.pem` (the authorities to
//! trust, instead of the public ones: a managed database's own CA bundle). Without
//! `sslmode`, or with `disable` or `prefer`, the connection is in the clear.

use std::sync::Arc;

use postgres::{Client, NoTls};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::{Error, Result};

/// The TLS of the connections to one database.
#[derive(Clone)]
pub(crate) enum Tls {
    Clear,
    Checked(MakeRustlsConnect),
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tls::Clear => "Tls::Clear",
            Tls::Checked(_) => "Tls::Checked",
        })
    }
}

impl Tls {
    /// Opens a connection to `config` with this TLS (the synchronous client: migrations,
    /// the events feed, moving a store).
    pub(crate) fn connect(&self, config: &postgres::Config) -> Result<Client, postgres::Error> {
        match self {
            Tls::Clear => config.connect(NoTls),
            Tls::Checked(tls) => config.connect(tls.clone()),
        }
    }

    /// Opens a connection to `config` with this TLS, its connection driven by a task on
    /// the runtime this runs on (the pool's connections: see `conn`).
    pub(crate) async fn open(
        &self,
        config: &tokio_postgres::Config,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        match self {
            Tls::Clear => {
                let (client, connection) = config.connect(NoTls).await?;
                tokio::spawn(drive(connection));
                Ok(client)
            }
            Tls::Checked(tls) => {
                let (client, connection) = config.connect(tls.clone()).await?;
                tokio::spawn(drive(connection));
                Ok(client)
            }
        }
    }
}

/// Drives a connection until it ends (its client dropped, or the server gone: the client
/// then says it is closed, and the pool drops it).
async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(error) = connection.await {
        tracing::debug!(%error, "a store connection ended");
    }
}

/// A connection that could not be made, with its causes: a TLS handshake's says why
/// ("invalid peer certificate: UnknownIssuer"), where the client's own words stop at
/// "error performing TLS handshake".
#[derive(Debug)]
pub struct ConnectError(String);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectError {}

impl ConnectError {
    /// A connection's runtime that could not be made.
    pub(crate) fn from_io(e: &std::io::Error) -> ConnectError {
        ConnectError(format!("starting a connection's runtime: {e}"))
    }
}

impl From<postgres::Error> for ConnectError {
    fn from(e: postgres::Error) -> ConnectError {
        let mut words = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            words = format!("{words}: {c}");
            cause = c.source();
        }
        ConnectError(words)
    }
}

/// A database URL read: where to connect, and with which TLS.
pub(crate) fn parse(url: &str) -> Result<(tokio_postgres::Config, Tls)> {
    let bad = |what: String| Error::Backend(what.into());
    let (url, root) = take_libpq_options(url).map_err(bad)?;
    let config: tokio_postgres::Config = url.parse().map_err(|e| Error::Backend(Box::new(e)))?;
    if config.get_ssl_mode() != SslMode::Require {
        return Ok((config, Tls::Clear));
    }
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(&path)
                .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| bad(format!("reading sslrootcert {path}: {e}")))?;
            if certs.is_empty() {
                return Err(bad(format!("sslrootcert {path} holds no certificate")));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| bad(format!("a certificate in sslrootcert {path}: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok((config, Tls::Checked(MakeRustlsConnect::new(tls))))
}

/// Takes `sslrootcert` out of a `postgres://` URL's query (the client reads no such
/// option) and maps `sslmode=verify-ca|verify-full` to `require` (whose certificate is
/// checked anyway); a URL of another form is left as it is.
fn take_libpq_options(url: &str) -> std::result::Result<(String, Option<String>), String> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Ok((url.to_owned(), None));
    }
    let mut parsed = url::Url::parse(url).map_err(|e| format!("the database URL: {e}"))?;
    let mut root = None;
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter_map(|(key, value)| match key.as_ref() {
            "sslrootcert" => {
                root = Some(value.into_owned());
                None
            }
            "sslmode" if value == "verify-ca" || value == "verify-full" => {
                Some((key.into_owned(), "require".to_owned()))
            }
            _ => Some((key.into_owned(), value.into_owned())),
        })
        .collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.into(), root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_options_are_read_from_the_url_and_the_rest_kept() {
        let (url, root) = take_libpq_options(
            "postgres://app:pw@db.example:5432/multiline?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=c",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://app:pw@db.example:5432/multiline?sslmode=require&application_name=c"
        );
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let (url, root) = take_libpq_options("host=/run/postgresql dbname=m").unwrap();
        assert_eq!(
            (url.as_str(), root),
            ("host=/run/postgresql dbname=m", None)
        );
    }

    #[test]
    fn only_require_asks_for_tls_and_a_missing_root_file_is_said() {
        let (_, tls) = parse("postgres://app@127.0.0.1/m").unwrap();
        assert!(matches!(tls, Tls::Clear));
        let (_, tls) = parse("postgres://app@127.0.0.1/m?sslmode=prefer").unwrap();
        assert!(matches!(tls, Tls::Clear), "prefer: in the clear");
        let (_, tls) = parse("postgres://app@127.0.0.1/m?sslmode=require").unwrap();
        assert!(matches!(tls, Tls::Checked(_)));
        let error =
            parse("postgres://app@127.0.0.1/m?sslmode=require&sslrootcert=/nonexistent/ca.pem")
                .unwrap_err()
                .to_string();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
