//! TLS peek: one handshake to learn which certificate a server presents.
//!
//! [`peek`] checks the address with the [`AddressGuard`] first (so no connection ever bypasses
//! it), connects with a timeout over the whole connect + handshake, and completes a rustls
//! handshake that accepts any certificate: a shop with a self-signed or expired certificate is
//! exactly what we want to see. The accepting verifier still checks the handshake signatures
//! with the provider's algorithms, so the server proves it holds the certificate's key. The
//! presented chain is read from the finished connection and described by [`describe_chain`]
//! with x509-parser; whether it chains to the Web PKI (webpki-roots) is decided separately by
//! a normal rustls WebPKI verifier run over the captured chain. Nothing is sent after the
//! handshake; the connection is dropped.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use x509_parser::extensions::GeneralName;

use super::guard::{AddressGuard, Blocked};
use super::names::DomainName;
use crate::i18n::Lang;

/// What a server's leaf certificate says, in the shape of the API's `tls` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CertInfo {
    /// SHA-256 of the leaf certificate's DER, lower-case hex.
    pub sha256: String,
    /// Subject distinguished name, e.g. `CN=shop.example.vn, O=Shop Example`.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names: DNS names as written, IP addresses as text.
    pub sans: Vec<String>,
    /// Start of validity (RFC 3339, UTC).
    pub not_before: DateTime<Utc>,
    /// End of validity (RFC 3339, UTC).
    pub not_after: DateTime<Utc>,
    /// Issuer equals subject and the certificate's signature verifies with its own key.
    pub self_signed: bool,
    /// `not_after` is in the past.
    pub expired: bool,
    /// The presented chain verifies up to a Web PKI root (webpki-roots) at the current time,
    /// whatever names it is for.
    pub chains_to_web_pki: bool,
}

/// Why a peek failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// The guard refused the address; nothing was sent.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// Connect plus handshake took longer than allowed.
    #[error("TLS peek timed out")]
    Timeout,
    /// The TCP connection failed.
    #[error("TCP connection failed: {0}")]
    Connect(String),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
    /// The server presented no certificate.
    #[error("no certificate presented")]
    NoCertificate,
    /// The leaf certificate could not be parsed.
    #[error("certificate could not be parsed: {0}")]
    Certificate(String),
}

impl TlsError {
    /// The stable code in results: `blocked_address` for a refusal, `tls_failed` otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            TlsError::Blocked(_) => Blocked::CODE,
            _ => "tls_failed",
        }
    }

    /// A human-readable message in the given language.
    pub fn message(&self, lang: Lang) -> String {
        let text = match self {
            TlsError::Blocked(blocked) => return blocked.message(lang),
            TlsError::Timeout => lang.pick("TLS handshake timed out", "Bắt tay TLS quá thời gian"),
            TlsError::Connect(_) => lang.pick(
                "Could not connect for the TLS handshake",
                "Không kết nối được để bắt tay TLS",
            ),
            TlsError::Handshake(_) => lang.pick("TLS handshake failed", "Bắt tay TLS thất bại"),
            TlsError::NoCertificate => lang.pick(
                "The server presented no certificate",
                "Máy chủ không gửi chứng thư số",
            ),
            TlsError::Certificate(_) => lang.pick(
                "The server certificate could not be read",
                "Không đọc được chứng thư số của máy chủ",
            ),
        };
        text.to_owned()
    }
}

/// A set of trust anchors to judge `chains_to_web_pki` against.
#[derive(Debug, Clone)]
pub struct TrustRoots {
    verifier: Arc<WebPkiServerVerifier>,
}

impl TrustRoots {
    /// The Mozilla-derived Web PKI roots shipped in `webpki-roots`.
    pub fn web_pki() -> Option<&'static TrustRoots> {
        static ROOTS: OnceLock<Option<TrustRoots>> = OnceLock::new();
        ROOTS
            .get_or_init(|| {
                let store = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                TrustRoots::from_store(store)
            })
            .as_ref()
    }

    /// Trust anchors from DER certificates (e.g. a test CA). `None` if none is usable.
    pub fn from_der(certs: &[CertificateDer<'_>]) -> Option<TrustRoots> {
        let mut store = RootCertStore::empty();
        for cert in certs {
            store.add(cert.clone().into_owned()).ok()?;
        }
        TrustRoots::from_store(store)
    }

    fn from_store(store: RootCertStore) -> Option<TrustRoots> {
        WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
            .build()
            .ok()
            .map(|verifier| TrustRoots { verifier })
    }

    /// True when the chain verifies to these roots now; a name mismatch does not count
    /// against it (webpki checks the chain before the name).
    fn accepts(&self, chain: &[CertificateDer<'_>], name: &ServerName<'_>) -> bool {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return false;
        };
        let verdict =
            self.verifier
                .verify_server_cert(leaf, intermediates, name, &[], UnixTime::now());
        matches!(
            verdict,
            Ok(_)
                | Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                ))
        )
    }
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Accepts any certificate chain but still checks handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn connector() -> Result<TlsConnector, TlsError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let provider = provider();
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map(|builder| {
                let config = builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                    .with_no_client_auth();
                Arc::new(config)
            })
            .map_err(|e| e.to_string())
    });
    match config {
        Ok(config) => Ok(TlsConnector::from(config.clone())),
        Err(e) => Err(TlsError::Handshake(e.clone())),
    }
}

/// Connects to `addr` (if the guard allows it), completes a TLS handshake sending `sni`
/// (none for a bare IP) and describes the presented certificate against the Web PKI roots.
pub async fn peek(
    addr: SocketAddr,
    sni: Option<&DomainName>,
    timeout: Duration,
    guard: &AddressGuard,
) -> Result<CertInfo, TlsError> {
    let roots = TrustRoots::web_pki();
    peek_with_roots(addr, sni, timeout, guard, roots).await
}

/// [`peek`] with explicit trust roots for `chains_to_web_pki` (`None`: always false).
pub async fn peek_with_roots(
    addr: SocketAddr,
    sni: Option<&DomainName>,
    timeout: Duration,
    guard: &AddressGuard,
    roots: Option<&TrustRoots>,
) -> Result<CertInfo, TlsError> {
    guard.check(addr.ip())?;
    let server_name = match sni {
        Some(name) => ServerName::try_from(name.as_str().to_owned())
            .map_err(|e| TlsError::Handshake(e.to_string()))?,
        None => ServerName::IpAddress(addr.ip().into()),
    };
    let connector = connector()?;
    let handshake = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| TlsError::Connect(e.to_string()))?;
        connector
            .connect(server_name.clone(), tcp)
            .await
            .map_err(|e| TlsError::Handshake(e.to_string()))
    };
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| TlsError::Timeout)??;
    let (_, connection) = stream.get_ref();
    let chain = connection
        .peer_certificates()
        .ok_or(TlsError::NoCertificate)?;
    describe_chain(chain, &server_name, roots, Utc::now())
}

/// Describes a presented chain (leaf first) as of `now`.
pub fn describe_chain(
    chain: &[CertificateDer<'_>],
    server_name: &ServerName<'_>,
    roots: Option<&TrustRoots>,
    now: DateTime<Utc>,
) -> Result<CertInfo, TlsError> {
    let leaf = chain.first().ok_or(TlsError::NoCertificate)?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
                _ => None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(TlsError::Certificate(e.to_string())),
    };
    let time = |t: x509_parser::time::ASN1Time| {
        DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
            .ok_or_else(|| TlsError::Certificate("validity date out of range".into()))
    };
    let not_before = time(cert.validity().not_before)?;
    let not_after = time(cert.validity().not_after)?;
    let self_signed =
        cert.subject().as_raw() == cert.issuer().as_raw() && cert.verify_signature(None).is_ok();
    Ok(CertInfo {
        sha256: hex::encode(Sha256::digest(leaf.as_ref())),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before,
        not_after,
        self_signed,
        expired: not_after < now,
        chains_to_web_pki: roots.is_some_and(|roots| roots.accepts(chain, server_name)),
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
