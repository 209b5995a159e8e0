//! TLS for the SMTP and HTTP SMS adapters: the system's root certificates
//! (`rustls-native-certs`, through lettre's and reqwest's features) plus an optional extra
//! certificate authority from a PEM file, for relays and gateways of public bodies with a
//! private CA; and telling a certificate failure (permanent: retrying does not help) from
//! a network one.

use std::path::Path;

/// The extra CA file's PEM text. `MUHTAR_EXTRA_CA` names it for the SMTP relay
/// ([`crate::SmtpConfig::from_env`]); `?ca=` in the SMTP URL and `ca_file` in a tenant's
/// `[sms]` settings too.
pub(crate) const EXTRA_CA_ENV: &str = "MUHTAR_EXTRA_CA";

/// Reads a PEM file of one or more CA certificates.
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<u8>, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(format!(
            "the CA file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(pem)
}

/// Whether `e` or an error it wraps is rustls refusing the peer's certificate (unknown
/// issuer, expired, wrong name, …), looked up by type along the source chain and into
/// wrapped `io::Error`s.
pub(crate) fn is_certificate_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return matches!(
                r,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if is_certificate_error(inner) {
                return true;
            }
        }
        current = err.source();
    }
    false
}
