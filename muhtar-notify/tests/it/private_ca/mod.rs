//! A private certificate authority made in the test (rcgen): its PEM file, and a leaf
//! certificate it signed for `localhost` and `127.0.0.1`, as a public body's relay or
//! SMS gateway would have.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

/// The CA and a server certificate it signed, written to a temporary directory (each
/// test binary uses the fields it needs).
#[allow(dead_code)]
pub struct PrivateCa {
    /// Holds the files.
    pub dir: tempfile::TempDir,
    /// The CA certificate (PEM): what a client is given to trust.
    pub ca_file: PathBuf,
    /// The server's certificate (PEM).
    pub cert_file: PathBuf,
    /// The server's private key (PEM, PKCS#8).
    pub key_file: PathBuf,
    /// The server's certificate (DER).
    pub cert_der: Vec<u8>,
    /// The server's private key (DER, PKCS#8).
    pub key_der: Vec<u8>,
}

impl PrivateCa {
    /// A new CA and a server certificate for `localhost` and `127.0.0.1`.
    pub fn new() -> PrivateCa {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Örnek Belediyesi Test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        let cert_file = dir.path().join("server.pem");
        let key_file = dir.path().join("server.key");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        std::fs::write(&cert_file, leaf.pem()).unwrap();
        std::fs::write(&key_file, leaf_key.serialize_pem()).unwrap();
        PrivateCa {
            dir,
            ca_file,
            cert_file,
            key_file,
            cert_der: leaf.der().to_vec(),
            key_der: leaf_key.serialize_der(),
        }
    }
}
