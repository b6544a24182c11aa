//! The registry's webhook: each new registry request is POSTed as JSON, signed with
//! `x-originguard-signature: sha256=<hex HMAC-SHA256 of the body>`.
//!
//! The connection goes through the address guard like every other: the host is resolved with
//! the configured name servers, refused addresses are never dialled, redirects are not
//! followed, and HTTPS verifies the certificate against the web PKI roots.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::network::names::DomainName;
use crate::network::resolve::NetworkContext;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-originguard-signature";

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The receiver (`http` or `https`).
    pub url: Uri,
    /// The shared HMAC secret.
    pub secret: String,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: u64,
    /// Wait after the first failure; doubled after each further one, at most an hour.
    pub backoff: Duration,
    /// Time allowed for one attempt.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// The wait before attempt `attempt + 1`, after `attempt` failures.
    pub fn backoff_after(&self, attempt: u64) -> Duration {
        let factor = 2u32.saturating_pow(u32::try_from(attempt.saturating_sub(1)).unwrap_or(31));
        self.backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(3600))
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a webhook URL given in configuration.
pub fn parse_url(text: &str) -> Result<Uri, String> {
    let uri: Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err("the webhook URL must be http or https".into()),
    }
    if uri.host().is_none() {
        return Err("the webhook URL has no host".into());
    }
    Ok(uri)
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn addresses(network: &NetworkContext, host: &str) -> Result<Vec<IpAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let candidates = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let name = DomainName::parse(bare).map_err(|e| format!("bad host: {}", e.code()))?;
            let answer = network.resolver.lookup(&name).await;
            answer.a.into_iter().chain(answer.aaaa).collect()
        }
    };
    if candidates.is_empty() {
        return Err(format!("{host} has no address"));
    }
    let allowed: Vec<IpAddr> = candidates
        .into_iter()
        .filter(|ip| network.guard.check(*ip).is_ok())
        .collect();
    if allowed.is_empty() {
        return Err(format!(
            "blocked_address: every address of {host} is refused by the address guard"
        ));
    }
    Ok(allowed)
}

async fn connect(network: &NetworkContext, uri: &Uri) -> Result<Box<dyn Io>, String> {
    let host = uri.host().unwrap_or_default();
    let https = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let mut last_error = String::new();
    for ip in addresses(network, host).await? {
        match TcpStream::connect(SocketAddr::new(ip, port)).await {
            Ok(tcp) => {
                if !https {
                    return Ok(Box::new(tcp));
                }
                let mut roots = rustls::RootCertStore::empty();
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                let name = rustls::pki_types::ServerName::try_from(bare.to_owned())
                    .map_err(|e| e.to_string())?;
                let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                return Ok(Box::new(tls));
            }
            Err(e) => last_error = format!("connect {ip}:{port}: {e}"),
        }
    }
    Err(last_error)
}

/// POSTs `body` to the receiver; `Ok` for a 2xx answer.
pub async fn deliver(
    network: &NetworkContext,
    config: &WebhookConfig,
    body: Vec<u8>,
) -> Result<(), String> {
    let attempt = async {
        let io = connect(network, &config.url).await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let path = config
            .url
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let authority = config
            .url
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let request = Request::post(path)
            .header("host", authority)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("originguard/", env!("CARGO_PKG_VERSION")),
            )
            .header(SIGNATURE_HEADER, sign(&config.secret, &body))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {}", response.status()))
        }
    };
    tokio::time::timeout(config.timeout, attempt)
        .await
        .map_err(|_| "timed out".to_owned())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let config = WebhookConfig {
            url: "http://127.0.0.1/".parse().unwrap(),
            secret: String::new(),
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(config.backoff_after(1), Duration::from_secs(1));
        assert_eq!(config.backoff_after(3), Duration::from_secs(4));
        assert_eq!(config.backoff_after(60), Duration::from_secs(3600));
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("https://registry.example/hook").is_ok());
    }
}
