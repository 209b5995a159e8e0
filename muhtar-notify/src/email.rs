//! E-mail: the [`EmailTransport`] trait, the SMTP adapter over lettre
//! ([`SmtpTransport`], configured by [`SmtpConfig`]), a recording stub
//! ([`RecordingTransport`]) and the idempotent `Message-ID` ([`message_id`]).

#[cfg(feature = "smtp")]
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
#[cfg(feature = "smtp")]
use lettre::message::header::{Header, HeaderName, HeaderValue};
#[cfg(feature = "smtp")]
use lettre::message::{Mailbox, MultiPart};
#[cfg(feature = "smtp")]
use lettre::transport::smtp::authentication::Credentials;
#[cfg(feature = "smtp")]
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
#[cfg(feature = "smtp")]
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use muhtar_core::outbox::DeliveryError;
use sha2::{Digest, Sha256};

/// The `Message-ID` of the notice with idempotency key `key`:
/// `<` + the first 32 hex digits of SHA-256(`key`) + `@` + `domain` + `>`.
///
/// The same key always gives the same id, so a notice sent twice (a retry after a crash
/// between sending and marking it sent) carries the same `Message-ID` both times, and
/// receiving systems that deduplicate on it show it once.
pub fn message_id(key: &str, domain: &str) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("<{}@{}>", &digest[..32], domain)
}

/// An e-mail ready for a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// The recipient address.
    pub to: String,
    /// A display name for the sender (the tenant's name), used when the transport's
    /// configured sender has none.
    pub from_name: Option<String>,
    /// The subject (UTF-8).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The `Message-ID`, angle brackets included (see [`message_id`]).
    pub message_id: String,
    /// The `Date` header.
    pub date: DateTime<Utc>,
}

/// Sends e-mail. Errors say whether a retry can help.
#[async_trait]
pub trait EmailTransport: Send + Sync {
    /// Sends one e-mail.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError>;
}

#[async_trait]
impl<T: EmailTransport + ?Sized> EmailTransport for std::sync::Arc<T> {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError> {
        (**self).send(email).await
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg(feature = "smtp")]
pub enum SmtpSecurity {
    /// No TLS (`smtp://`): only for a relay on the same host or a trusted network.
    Plain,
    /// STARTTLS, required (`smtp+starttls://`, default port 587).
    StartTls,
    /// Implicit TLS (`smtps://`, default port 465).
    ImplicitTls,
}

/// Why an SMTP configuration is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[cfg(feature = "smtp")]
pub enum SmtpConfigError {
    /// An environment variable is not set.
    #[error("environment variable {0} is not set")]
    MissingEnv(&'static str),
    /// The URL cannot be parsed or has an unknown scheme.
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    /// The sender address is not a valid mailbox.
    #[error("invalid sender address {0:?}")]
    From(String),
    /// TLS could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// Where and how to send e-mail.
#[derive(Clone, PartialEq, Eq)]
#[cfg(feature = "smtp")]
pub struct SmtpConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// User name, if the relay wants authentication.
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// The sender mailbox, e.g. `Muhtarlık İşleri <muhtar@ornek.bel.tr>`.
    pub from: String,
    /// Connection and command timeout (default 30 s). A whole message (connect,
    /// greeting, every command, the data) gets at most [`SEND_DEADLINE_FACTOR`] times
    /// this, whatever the relay does.
    pub timeout: Duration,
    /// A PEM file of certificate authorities trusted besides the system's root
    /// certificates (a relay with a private CA): `?ca=/path/ca.pem` in the URL, or
    /// `MUHTAR_EXTRA_CA`.
    pub extra_ca: Option<std::path::PathBuf>,
}

#[cfg(feature = "smtp")]
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .field("extra_ca", &self.extra_ca)
            .finish()
    }
}

#[cfg(feature = "smtp")]
fn percent_decode(s: &str) -> Result<String, SmtpConfigError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| SmtpConfigError::Url("bad percent escape in credentials".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| SmtpConfigError::Url("credentials are not UTF-8".into()))
}

#[cfg(feature = "smtp")]
impl SmtpConfig {
    /// Parses a relay URL:
    ///
    /// - `smtp://host[:port]`: plain SMTP, no TLS (default port 25), for a local relay;
    /// - `smtp+starttls://[user:pass@]host[:port]`: STARTTLS required (default 587);
    /// - `smtps://[user:pass@]host[:port]`: implicit TLS (default 465).
    ///
    /// User and password are percent-decoded. A query `?timeout=SECONDS` sets the
    /// timeout, `?ca=/path/ca.pem` an extra CA file ([`SmtpConfig::extra_ca`]; the
    /// system's root certificates are always trusted). `from` is the sender mailbox
    /// (`Name <addr>` or `addr`).
    pub fn from_url(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| SmtpConfigError::Url(format!("{}: {e}", redact(url))))?;
        let (security, default_port) = match parsed.scheme() {
            "smtp" => (SmtpSecurity::Plain, 25),
            "smtp+starttls" | "submission" => (SmtpSecurity::StartTls, 587),
            "smtps" => (SmtpSecurity::ImplicitTls, 465),
            other => {
                return Err(SmtpConfigError::Url(format!(
                    "unknown scheme {other:?} (use smtp, smtp+starttls or smtps)"
                )))
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| SmtpConfigError::Url(format!("{}: no host", redact(url))))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let user = match parsed.username() {
            "" => None,
            u => Some(percent_decode(u)?),
        };
        let password = parsed.password().map(percent_decode).transpose()?;
        let mut timeout = Duration::from_secs(30);
        let mut extra_ca = None;
        for (k, v) in parsed.query_pairs() {
            match k.as_ref() {
                "ca" if !v.is_empty() => extra_ca = Some(std::path::PathBuf::from(v.as_ref())),
                "timeout" => {
                    let secs: u64 = v
                        .parse()
                        .map_err(|_| SmtpConfigError::Url(format!("bad timeout {v:?}")))?;
                    timeout = Duration::from_secs(secs.max(1));
                }
                other => return Err(SmtpConfigError::Url(format!("unknown parameter {other:?}"))),
            }
        }
        from.parse::<Mailbox>()
            .map_err(|_| SmtpConfigError::From(from.to_owned()))?;
        Ok(SmtpConfig {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            user,
            password,
            from: from.to_owned(),
            timeout,
            extra_ca,
        })
    }

    /// Reads `MUHTAR_SMTP_URL` (see [`SmtpConfig::from_url`]) and `MUHTAR_MAIL_FROM`,
    /// and `MUHTAR_EXTRA_CA` (an extra CA file) when the URL has no `?ca=`.
    pub fn from_env() -> Result<Self, SmtpConfigError> {
        let url = std::env::var("MUHTAR_SMTP_URL")
            .map_err(|_| SmtpConfigError::MissingEnv("MUHTAR_SMTP_URL"))?;
        let from = std::env::var("MUHTAR_MAIL_FROM")
            .map_err(|_| SmtpConfigError::MissingEnv("MUHTAR_MAIL_FROM"))?;
        let mut config = Self::from_url(&url, &from)?;
        if config.extra_ca.is_none() {
            config.extra_ca = std::env::var_os(crate::tls::EXTRA_CA_ENV)
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from);
        }
        Ok(config)
    }
}

/// The URL with any password replaced, for error messages.
#[cfg(feature = "smtp")]
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparseable URL>".into(),
    }
}

/// A whole message may take at most this many times [`SmtpConfig::timeout`].
pub const SEND_DEADLINE_FACTOR: u32 = 3;

/// How the error text of a transient failure starts when the relay did not answer in
/// time (the dispatcher then tries no more e-mail in that pass).
pub const SMTP_TIMEOUT: &str = "SMTP timeout";

/// `Auto-Submitted: auto-generated` (RFC 3834), so auto-responders stay quiet.
#[derive(Clone)]
#[cfg(feature = "smtp")]
struct AutoSubmitted;

#[cfg(feature = "smtp")]
impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Sends e-mail through an SMTP relay with lettre. One connection per message (no
/// pool), so a relay that was down is used again as soon as it is back.
///
/// Errors are mapped to [`DeliveryError`]: SMTP 5xx replies (e.g. `550` rejected
/// recipient) and malformed addresses are permanent; 4xx replies, connection refused,
/// timeouts, network and TLS failures are transient. Every message has a deadline
/// ([`SEND_DEADLINE_FACTOR`] × the timeout) whatever the relay does.
#[derive(Clone)]
#[cfg(feature = "smtp")]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The most one message may take.
    deadline: Duration,
}

#[cfg(feature = "smtp")]
impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "smtp")]
impl SmtpTransport {
    /// A transport for `config`.
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| SmtpConfigError::From(config.from.clone()))?;
        // The system's root certificates (lettre's `rustls-native-certs`), plus the
        // extra CA file's.
        let extra_ca = match &config.extra_ca {
            Some(path) => {
                let pem = crate::tls::read_ca_file(path).map_err(SmtpConfigError::Tls)?;
                Some(Certificate::from_pem(&pem).map_err(|e| {
                    SmtpConfigError::Tls(format!("the CA file {}: {e}", path.display()))
                })?)
            }
            None => None,
        };
        let tls = |host: &str| {
            let mut b = TlsParameters::builder(host.to_owned());
            if let Some(ca) = &extra_ca {
                b = b.add_root_certificate(ca.clone());
            }
            b.build_rustls()
                .map_err(|e| SmtpConfigError::Tls(e.to_string()))
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .timeout(Some(config.timeout));
        b = match config.security {
            SmtpSecurity::Plain => b.tls(Tls::None),
            SmtpSecurity::StartTls => b.tls(Tls::Required(tls(&config.host)?)),
            SmtpSecurity::ImplicitTls => b.tls(Tls::Wrapper(tls(&config.host)?)),
        };
        if let Some(user) = &config.user {
            b = b.credentials(Credentials::new(
                user.clone(),
                config.password.clone().unwrap_or_default(),
            ));
        }
        Ok(SmtpTransport {
            inner: b.build(),
            from,
            deadline: config.timeout * SEND_DEADLINE_FACTOR,
        })
    }

    /// A transport from `MUHTAR_SMTP_URL` and `MUHTAR_MAIL_FROM`.
    pub fn from_env() -> Result<Self, SmtpConfigError> {
        Self::new(&SmtpConfig::from_env()?)
    }

    /// Builds the MIME message: UTF-8 subject, `multipart/alternative` with a
    /// `text/plain` and a `text/html` part, the given `Message-ID` and `Date`.
    pub fn build_message(&self, email: &OutgoingEmail) -> Result<Message, DeliveryError> {
        let to: Mailbox = email.to.trim().parse().map_err(|e| {
            DeliveryError::Permanent(format!("malformed recipient address {:?}: {e}", email.to))
        })?;
        let from = match (&self.from.name, &email.from_name) {
            (None, Some(name)) => {
                // lettre panics on a line break in a display name (issue 17): such a
                // name (an organisation stored before validation refused it) fails
                // this message only.
                if let Some(c) = name.chars().find(|&c| header_unsafe(c)) {
                    return Err(DeliveryError::Permanent(format!(
                        "the sender's display name (the tenant's name) contains the character \
                         U+{:04X}, which an e-mail header cannot hold",
                        u32::from(c)
                    )));
                }
                Mailbox::new(Some(name.clone()), self.from.email.clone())
            }
            _ => self.from.clone(),
        };
        // Anything else lettre would panic on is a permanent failure of this message,
        // never a panic of the dispatcher.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Message::builder()
                .from(from)
                .to(to)
                .subject(email.subject.clone())
                .message_id(Some(email.message_id.clone()))
                .date(std::time::SystemTime::from(email.date))
                .header(AutoSubmitted)
                .multipart(MultiPart::alternative_plain_html(
                    email.text.clone(),
                    email.html.clone(),
                ))
        }))
        .map_err(|_| {
            DeliveryError::Permanent("cannot build the message: a header is malformed".into())
        })?
        .map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))
    }
}

/// Whether a display name may not hold `c`: control characters and U+FFFE/U+FFFF.
#[cfg(feature = "smtp")]
fn header_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(feature = "smtp")]
fn classify(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        let s = inner.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        src = inner.source();
    }
    if e.is_permanent() {
        DeliveryError::Permanent(format!("SMTP {msg}"))
    } else if crate::tls::is_certificate_error(e) {
        // The relay's certificate is not trusted: retrying does not help (give the
        // relay's CA with `?ca=` or MUHTAR_EXTRA_CA).
        DeliveryError::Permanent(format!("SMTP certificate not trusted: {msg}"))
    } else if e.is_timeout() {
        DeliveryError::Timeout(format!("{SMTP_TIMEOUT}: {msg}"))
    } else {
        // 4xx replies, connection refused, timeouts, network, TLS and response errors.
        DeliveryError::Transient(format!("SMTP {msg}"))
    }
}

#[cfg(feature = "smtp")]
#[async_trait]
impl EmailTransport for SmtpTransport {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError> {
        let message = self.build_message(email)?;
        // lettre's timeout does not bound every wait (a relay that accepts the
        // connection and never answers a command held delivery for good): the whole
        // message has a deadline. A timeout is transient: the message is tried again.
        match tokio::time::timeout(self.deadline, self.inner.send(message)).await {
            Ok(result) => result.map(|_| ()).map_err(|e| classify(&e)),
            Err(_) => Err(DeliveryError::Timeout(format!(
                "{SMTP_TIMEOUT}: the relay did not finish the message within {} s",
                self.deadline.as_secs()
            ))),
        }
    }
}

/// A transport that records what it is asked to send, and fails when told to: for
/// unit tests.
pub type RecordingTransport = crate::recorder::Recorder<OutgoingEmail>;

#[async_trait]
impl EmailTransport for RecordingTransport {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError> {
        self.record(email)
    }
}

#[cfg(all(test, feature = "smtp"))]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_stable_and_short() {
        let a = message_id("r1:2:received:email:ali@x", "muhtar");
        assert_eq!(a, message_id("r1:2:received:email:ali@x", "muhtar"));
        assert_ne!(a, message_id("r1:3:received:email:ali@x", "muhtar"));
        assert!(a.starts_with('<') && a.ends_with("@muhtar>"));
        assert_eq!(a.len(), 1 + 32 + "@muhtar>".len());
    }

    #[test]
    fn smtp_urls_parse() {
        let c = SmtpConfig::from_url("smtp://127.0.0.1:2525", "muhtar@ornek.bel.tr").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.security),
            ("127.0.0.1", 2525, SmtpSecurity::Plain)
        );
        assert_eq!(c.user, None);

        let c = SmtpConfig::from_url(
            "smtps://bildirim%40ornek.bel.tr:p%40ss%3Aw@mail.ornek.bel.tr",
            "MBS <bildirim@ornek.bel.tr>",
        )
        .unwrap();
        assert_eq!(c.security, SmtpSecurity::ImplicitTls);
        assert_eq!(c.port, 465);
        assert_eq!(c.user.as_deref(), Some("bildirim@ornek.bel.tr"));
        assert_eq!(c.password.as_deref(), Some("p@ss:w"));
        assert!(!format!("{c:?}").contains("p@ss"));

        let c = SmtpConfig::from_url(
            "smtp+starttls://u:p@relay.example:2587?timeout=5",
            "a@b.example",
        )
        .unwrap();
        assert_eq!(c.security, SmtpSecurity::StartTls);
        assert_eq!(c.port, 2587);
        assert_eq!(c.timeout, Duration::from_secs(5));

        let c = SmtpConfig::from_url("smtp+starttls://relay.example", "a@b.example").unwrap();
        assert_eq!(c.port, 587);
    }

    #[test]
    fn bad_smtp_urls_are_rejected() {
        assert!(matches!(
            SmtpConfig::from_url("http://x", "a@b.example"),
            Err(SmtpConfigError::Url(_))
        ));
        assert!(matches!(
            SmtpConfig::from_url("not a url", "a@b.example"),
            Err(SmtpConfigError::Url(_))
        ));
        assert!(matches!(
            SmtpConfig::from_url("smtp://x?foo=1", "a@b.example"),
            Err(SmtpConfigError::Url(_))
        ));
        assert!(matches!(
            SmtpConfig::from_url("smtp://x", "not an address"),
            Err(SmtpConfigError::From(_))
        ));
        let e = SmtpConfig::from_url("ftp://u:secret@x", "a@b.example").unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }

    /// Issue 17, defect 1: a line break in the tenant's name (the From display name)
    /// made lettre panic and killed the dispatcher. Now the message fails, permanently,
    /// and nothing panics; a subject with a line break is encoded, not split.
    #[test]
    fn header_text_with_line_breaks_is_a_permanent_failure_not_a_panic() {
        let t =
            SmtpTransport::new(&SmtpConfig::from_url("smtp://127.0.0.1:1", "a@b.example").unwrap())
                .unwrap();
        let mut e = OutgoingEmail {
            to: "ali@example.com".into(),
            from_name: Some("Örnek\r\nBcc: herkes@example.com".into()),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            message_id: message_id("k", "muhtar"),
            date: chrono::DateTime::<Utc>::default(),
        };
        for name in [
            "Örnek\r\nBcc: x@example.com",
            "a\nb",
            "a\rb",
            "a\u{0}b",
            "a\u{FFFF}",
        ] {
            e.from_name = Some(name.into());
            match t.build_message(&e) {
                Err(DeliveryError::Permanent(m)) => assert!(m.contains("sender"), "{m}"),
                other => panic!("{name:?}: {other:?}"),
            }
        }
        e.from_name = Some("Örnek Belediyesi".into());
        e.subject = "Çukur\r\nBcc: x@example.com".into();
        let m = String::from_utf8(t.build_message(&e).unwrap().formatted()).unwrap();
        assert!(!m.contains("\r\nBcc:"), "{m}");
        assert!(
            m.contains("From: =?utf-8?") || m.contains("From: \"=?utf-8?"),
            "{m}"
        );
    }

    #[test]
    fn malformed_recipient_is_permanent() {
        let t =
            SmtpTransport::new(&SmtpConfig::from_url("smtp://127.0.0.1:1", "a@b.example").unwrap())
                .unwrap();
        let e = OutgoingEmail {
            to: "not an address".into(),
            from_name: None,
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            message_id: message_id("k", "muhtar"),
            date: chrono::DateTime::<Utc>::default(),
        };
        assert!(matches!(
            t.build_message(&e),
            Err(DeliveryError::Permanent(_))
        ));
    }

    /// A relay that accepts the connection and never answers: a `Timeout` by variant,
    /// which is what makes the dispatcher stop sending through it for the pass.
    #[tokio::test]
    async fn a_relay_that_never_answers_is_a_timeout() {
        let relay = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = relay.local_addr().unwrap().port();
        let hold = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((conn, _)) = relay.accept().await {
                open.push(conn);
            }
        });
        let url = format!("smtp://127.0.0.1:{port}?timeout=1");
        let t = SmtpTransport::new(&SmtpConfig::from_url(&url, "a@b.example").unwrap()).unwrap();
        let e = OutgoingEmail {
            to: "x@b.example".into(),
            from_name: None,
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            message_id: message_id("k", "muhtar"),
            date: chrono::DateTime::<Utc>::default(),
        };
        let r = t.send(&e).await;
        hold.abort();
        assert!(matches!(&r, Err(DeliveryError::Timeout(_))), "{r:?}");
    }
}
