//! SMS: segment counting, the Turkish-letter policy, the [`SmsGateway`] trait, a generic
//! HTTP gateway adapter ([`HttpSmsGateway`]) and a recording stub.
//!
//! # Encoding policy
//!
//! The GSM 03.38 default alphabet (GSM-7) has `Ç ö Ö ü Ü` but not `ç ı İ ğ Ğ ş Ş` (nor
//! `â î û`). One such letter turns the whole message into UCS-2, which fits only 70
//! characters in one SMS (67 per part) instead of 160 (153 per part) and so costs two to
//! three times as much. The Turkish national language shift table would fix that, but
//! handset and operator support varies. The default policy,
//! [`SmsEncodingPolicy::Transliterate`], therefore replaces the Turkish letters by their
//! ASCII look-alikes (`ı→i İ→I ğ→g Ğ→G ş→s Ş→S ç→c â→a î→i û→u`, typographic quotes,
//! dashes and `…` by ASCII) to stay in GSM-7. If a character is still outside GSM-7
//! after that (an emoji, Cyrillic), the message goes as UCS-2, unchanged.
//! [`SmsEncodingPolicy::Unicode`] keeps the text as written (UCS-2 whenever a character
//! needs it). Either way a text longer than [`SmsConfig::max_segments`] segments is cut
//! and ends with an ellipsis (`...` in GSM-7, `…` in UCS-2).

use std::time::Duration;

use async_trait::async_trait;
use muhtar_core::outbox::DeliveryError;

/// The GSM 03.38 basic character set (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM 03.38 extension table (an escape plus one septet: two septets each).
const GSM7_EXTENSION: &str = "\u{0c}^{}\\[~]|€";

/// How an SMS text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmsEncoding {
    /// The GSM 03.38 default alphabet: 160 septets in one SMS, 153 per part.
    Gsm7,
    /// UCS-2 (UTF-16): 70 code units in one SMS, 67 per part.
    Ucs2,
}

/// The septets a character takes in GSM-7, or `None` if it is not in the alphabet.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text needs: GSM-7 when every character is in the GSM 03.38
/// alphabet, UCS-2 otherwise.
pub fn encoding_of(text: &str) -> SmsEncoding {
    if text.chars().all(|c| gsm7_septets(c).is_some()) {
        SmsEncoding::Gsm7
    } else {
        SmsEncoding::Ucs2
    }
}

fn unit_cost(c: char, enc: SmsEncoding) -> usize {
    match enc {
        SmsEncoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        SmsEncoding::Ucs2 => c.len_utf16(),
    }
}

fn limits(enc: SmsEncoding) -> (usize, usize) {
    match enc {
        SmsEncoding::Gsm7 => (160, 153),
        SmsEncoding::Ucs2 => (70, 67),
    }
}

/// How many SMS segments `text` takes in `enc`. An escape pair (GSM-7) or a surrogate
/// pair (UCS-2) is never split across parts. The empty text takes one segment.
pub fn segments_in(text: &str, enc: SmsEncoding) -> usize {
    let (single, part) = limits(enc);
    let total: usize = text.chars().map(|c| unit_cost(c, enc)).sum();
    if total <= single {
        return 1;
    }
    let mut parts = 1;
    let mut used = 0;
    for c in text.chars() {
        let w = unit_cost(c, enc);
        if used + w > part {
            parts += 1;
            used = 0;
        }
        used += w;
    }
    parts
}

/// The encoding and number of segments of `text`.
pub fn count_segments(text: &str) -> (SmsEncoding, usize) {
    let enc = encoding_of(text);
    (enc, segments_in(text, enc))
}

/// Replaces Turkish letters and typographic punctuation missing from GSM-7 by ASCII
/// look-alikes. Other characters are left as they are.
pub fn transliterate_turkish(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ı' => out.push('i'),
            'İ' => out.push('I'),
            'ğ' => out.push('g'),
            'Ğ' => out.push('G'),
            'ş' => out.push('s'),
            'Ş' => out.push('S'),
            'ç' => out.push('c'),
            'â' | 'á' => out.push('a'),
            'Â' | 'Á' => out.push('A'),
            'î' | 'í' => out.push('i'),
            'Î' | 'Í' => out.push('I'),
            'û' | 'ú' => out.push('u'),
            'Û' | 'Ú' => out.push('U'),
            'ê' => out.push('e'),
            'ô' | 'ó' => out.push('o'),
            '‘' | '’' | '‚' | '′' => out.push('\''),
            '“' | '”' | '„' | '″' => out.push('"'),
            '–' | '—' | '‐' | '−' => out.push('-'),
            '…' => out.push_str("..."),
            '\u{a0}' | '\u{202f}' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// How Turkish letters are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SmsEncodingPolicy {
    /// Transliterate to stay in GSM-7 (cheaper; the default). See the module docs.
    #[default]
    Transliterate,
    /// Keep the text as written (UCS-2 when needed).
    Unicode,
}

/// SMS text settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsConfig {
    /// The Turkish-letter policy.
    pub policy: SmsEncodingPolicy,
    /// The most segments one notice may take (at least 1); longer texts are cut with an
    /// ellipsis. Default 2.
    pub max_segments: usize,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            policy: SmsEncodingPolicy::Transliterate,
            max_segments: 2,
        }
    }
}

/// An SMS ready for a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    /// The recipient in international form, e.g. `+905321112233`.
    pub to: String,
    /// The text after the policy was applied.
    pub text: String,
    /// Its encoding.
    pub encoding: SmsEncoding,
    /// Its number of segments.
    pub segments: usize,
    /// The notice's idempotency key (gateways that deduplicate can use it).
    pub idempotency_key: String,
}

/// Applies `config` to `text`: transliteration (by policy) and truncation to
/// `max_segments` with an ellipsis. Returns the text, its encoding and segments.
pub fn prepare_text(text: &str, config: &SmsConfig) -> (String, SmsEncoding, usize) {
    let text = match config.policy {
        SmsEncodingPolicy::Transliterate => transliterate_turkish(text),
        SmsEncodingPolicy::Unicode => text.to_owned(),
    };
    let text = text.trim().to_owned();
    let max = config.max_segments.max(1);
    let enc = encoding_of(&text);
    let n = segments_in(&text, enc);
    if n <= max {
        return (text, enc, n);
    }
    let ellipsis = match enc {
        SmsEncoding::Gsm7 => "...",
        SmsEncoding::Ucs2 => "…",
    };
    // The longest prefix (in characters) that fits with the ellipsis.
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + ellipsis;
        if segments_in(&candidate, enc) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let cut: String = chars[..lo].iter().collect::<String>();
    let out = format!("{}{ellipsis}", cut.trim_end());
    let n = segments_in(&out, enc);
    (out, enc, n)
}

/// Normalises a Turkish phone number to international form (`+90…`): spaces, dashes,
/// dots and parentheses are dropped, a leading `0` (national) or `90` becomes `+90`.
/// Any other `+` number is kept. Returns `None` for something that is not a number.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let mut s: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    if let Some(rest) = s.strip_prefix("00") {
        s = format!("+{rest}");
    }
    let digits = s.strip_prefix('+').unwrap_or(&s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let intl = if s.starts_with('+') {
        s.clone()
    } else if digits.len() == 11 && digits.starts_with('0') {
        format!("+90{}", &digits[1..])
    } else if digits.len() == 12 && digits.starts_with("90") {
        format!("+{digits}")
    } else if digits.len() == 10 {
        format!("+90{digits}")
    } else {
        return None;
    };
    let n = intl.len() - 1;
    (8..=15).contains(&n).then_some(intl)
}

/// Sends SMS. Errors say whether a retry can help.
#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Sends one SMS.
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError>;

    /// Whether there is a gateway at all (`false` only for [`NoSmsGateway`]): without
    /// one the dispatcher does not try, and SMS notices wait or are skipped as the
    /// tenant's `sms_without_gateway` setting says.
    fn configured(&self) -> bool {
        true
    }
}

#[async_trait]
impl<T: SmsGateway + ?Sized> SmsGateway for std::sync::Arc<T> {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError> {
        (**self).send(sms).await
    }

    fn configured(&self) -> bool {
        (**self).configured()
    }
}

/// A gateway for deployments without SMS ([`SmsGateway::configured`] is `false`): a
/// dispatcher does not send through it (its SMS notices wait or are skipped, see
/// [`crate::DispatcherConfig::sms_without_gateway`]); a send fails permanently.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSmsGateway;

#[async_trait]
impl SmsGateway for NoSmsGateway {
    async fn send(&self, _sms: &OutgoingSms) -> Result<(), DeliveryError> {
        Err(DeliveryError::Permanent(NO_GATEWAY.into()))
    }

    fn configured(&self) -> bool {
        false
    }
}

/// The reason an SMS is not sent without a gateway.
pub(crate) const NO_GATEWAY: &str = "no SMS gateway configured";

/// How the HTTP gateway sends its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HttpBody {
    /// `application/x-www-form-urlencoded` POST (the default).
    #[default]
    Form,
    /// `application/json` POST with a flat object.
    Json,
}

/// How the HTTP gateway authenticates.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HttpAuth {
    /// None (or credentials in `extra_params`).
    #[default]
    None,
    /// HTTP Basic.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpAuth::None => f.write_str("None"),
            HttpAuth::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, password: *** }}"),
            HttpAuth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Settings of [`HttpSmsGateway`].
#[derive(Clone, Debug)]
pub struct HttpSmsConfig {
    /// The endpoint, e.g. `https://sms.example.com/api/send`.
    pub url: String,
    /// Form or JSON body.
    pub body: HttpBody,
    /// Authentication.
    pub auth: HttpAuth,
    /// Parameter name of the recipient (default `to`).
    pub to_param: String,
    /// Parameter name of the text (default `text`).
    pub text_param: String,
    /// Parameter name of the sender id (default `sender`).
    pub sender_param: String,
    /// The sender id (originator, "başlık"), if the gateway wants one.
    pub sender: Option<String>,
    /// Further fixed parameters (API keys, account ids).
    pub extra_params: Vec<(String, String)>,
    /// Request timeout (default 15 s).
    pub timeout: Duration,
    /// A PEM file of certificate authorities trusted besides the system's root
    /// certificates (a gateway with a private CA; `ca_file` in `[sms]`).
    pub extra_ca: Option<std::path::PathBuf>,
}

impl HttpSmsConfig {
    /// A configuration for `url` with the defaults: form POST, `to`, `text`, `sender`.
    pub fn new(url: impl Into<String>) -> Self {
        HttpSmsConfig {
            url: url.into(),
            body: HttpBody::Form,
            auth: HttpAuth::None,
            to_param: "to".into(),
            text_param: "text".into(),
            sender_param: "sender".into(),
            sender: None,
            extra_params: Vec::new(),
            timeout: Duration::from_secs(15),
            extra_ca: None,
        }
    }

    /// The configuration a tenant's `[sms]` settings describe
    /// ([`muhtar_core::settings::SmsSettings`]): its URL and sender, HTTP Basic
    /// authentication when both user name and password are given, a JSON body for
    /// `format = "json"` (otherwise a form), its parameter names where it names them and
    /// its extra CA file (`ca_file`);
    /// the defaults of [`HttpSmsConfig::new`] for the rest.
    pub fn from_settings(settings: &muhtar_core::settings::SmsSettings) -> Self {
        let s = settings;
        let mut c = HttpSmsConfig::new(s.url.clone());
        c.sender = s.sender.clone();
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            c.auth = HttpAuth::Basic {
                user: user.clone(),
                password: password.clone(),
            };
        }
        if s.format.as_deref() == Some("json") {
            c.body = HttpBody::Json;
        }
        if let Some(p) = &s.to_param {
            c.to_param = p.clone();
        }
        if let Some(p) = &s.text_param {
            c.text_param = p.clone();
        }
        c.extra_ca = s.ca_file.as_ref().map(std::path::PathBuf::from);
        c
    }
}

/// Why an SMS or e-mail adapter could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayConfigError {
    /// The HTTP client could not be created.
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
    /// The URL is not valid.
    #[error("invalid gateway URL: {0}")]
    Url(String),
    /// The extra CA file cannot be read or holds no certificate.
    #[error("{0}")]
    Ca(String),
}

/// A generic HTTP SMS gateway: one POST per SMS. 2xx is success; 5xx, 408, 429,
/// timeouts and connection errors are transient; any other status (4xx, 3xx) is
/// permanent. Gateways that report errors inside a 200 body are not covered.
#[derive(Clone, Debug)]
#[cfg(feature = "http-sms")]
pub struct HttpSmsGateway {
    config: HttpSmsConfig,
    client: reqwest::Client,
}

#[cfg(feature = "http-sms")]
impl HttpSmsGateway {
    /// A gateway with `config`.
    pub fn new(config: HttpSmsConfig) -> Result<Self, GatewayConfigError> {
        let parsed = reqwest::Url::parse(&config.url)
            .map_err(|e| GatewayConfigError::Url(format!("{}: {e}", config.url)))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(GatewayConfigError::Url(format!(
                "{}: scheme must be http or https",
                config.url
            )));
        }
        // The system's root certificates (reqwest's `rustls-tls-native-roots`), plus the
        // extra CA file's.
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &config.extra_ca {
            let pem = crate::tls::read_ca_file(path).map_err(GatewayConfigError::Ca)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| GatewayConfigError::Ca(format!("{}: {e}", path.display())))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| GatewayConfigError::Client(e.to_string()))?;
        Ok(HttpSmsGateway { config, client })
    }
}

#[cfg(feature = "http-sms")]
#[async_trait]
impl SmsGateway for HttpSmsGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError> {
        let c = &self.config;
        let mut params: Vec<(String, String)> = vec![
            (c.to_param.clone(), sms.to.clone()),
            (c.text_param.clone(), sms.text.clone()),
        ];
        if let Some(s) = &c.sender {
            params.push((c.sender_param.clone(), s.clone()));
        }
        params.extend(c.extra_params.iter().cloned());
        let mut req = self.client.post(&c.url);
        req = match c.body {
            HttpBody::Form => req.form(&params),
            HttpBody::Json => {
                let obj: serde_json::Map<String, serde_json::Value> = params
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect();
                req.json(&obj)
            }
        };
        req = match &c.auth {
            HttpAuth::None => req,
            HttpAuth::Basic { user, password } => req.basic_auth(user, Some(password)),
            HttpAuth::Bearer(t) => req.bearer_auth(t),
        };
        let resp = req.send().await.map_err(|e| {
            if crate::tls::is_certificate_error(&e) {
                // The gateway's certificate is not trusted: retrying does not help (give
                // its CA as `ca_file` in `[sms]`).
                DeliveryError::Permanent(format!(
                    "SMS gateway certificate not trusted: {}",
                    error_chain(&e)
                ))
            } else {
                // Connection refused, DNS, timeouts, broken connections: try again later.
                DeliveryError::Transient(format!("SMS gateway unreachable: {}", error_chain(&e)))
            }
        })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        let msg = format!("SMS gateway answered {status}: {}", body.trim());
        let code = status.as_u16();
        if status.is_server_error() || code == 408 || code == 429 {
            Err(DeliveryError::Transient(msg))
        } else {
            Err(DeliveryError::Permanent(msg))
        }
    }
}

#[cfg(feature = "http-sms")]
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// A gateway that records what it is asked to send, and fails when told to: for tests.
pub type RecordingSmsGateway = crate::recorder::Recorder<OutgoingSms>;

#[async_trait]
impl SmsGateway for RecordingSmsGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<(), DeliveryError> {
        self.record(sms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_single_and_multipart_limits() {
        let a160 = "a".repeat(160);
        assert_eq!(count_segments(&a160), (SmsEncoding::Gsm7, 1));
        assert_eq!(count_segments(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
        assert_eq!(count_segments(&"a".repeat(306)), (SmsEncoding::Gsm7, 2));
        assert_eq!(count_segments(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
        assert_eq!(count_segments(""), (SmsEncoding::Gsm7, 1));
    }

    #[test]
    fn gsm7_extension_characters_take_two_septets_and_are_not_split() {
        // 80 euro signs = 160 septets: one segment; 81 = 162: two.
        assert_eq!(count_segments(&"€".repeat(80)), (SmsEncoding::Gsm7, 1));
        assert_eq!(count_segments(&"€".repeat(81)), (SmsEncoding::Gsm7, 2));
        // 152 'a' + '€' : 154 septets > 153 in a part, so the escape pair moves on.
        let s = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(segments_in(&s, SmsEncoding::Gsm7), 2);
        let s = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments_in(&s, SmsEncoding::Gsm7), 3);
    }

    #[test]
    fn turkish_letters_force_ucs2_limits() {
        assert_eq!(encoding_of("Çöü ÖÜ"), SmsEncoding::Gsm7);
        for c in ["ı", "ğ", "ş", "İ", "Ğ", "Ş", "ç"] {
            assert_eq!(encoding_of(c), SmsEncoding::Ucs2, "{c}");
        }
        let s = format!("ş{}", "a".repeat(69));
        assert_eq!(count_segments(&s), (SmsEncoding::Ucs2, 1));
        let s = format!("ş{}", "a".repeat(70));
        assert_eq!(count_segments(&s), (SmsEncoding::Ucs2, 2));
        let s = format!("ş{}", "a".repeat(133));
        assert_eq!(count_segments(&s), (SmsEncoding::Ucs2, 2));
        let s = format!("ş{}", "a".repeat(134));
        assert_eq!(count_segments(&s), (SmsEncoding::Ucs2, 3));
        // A surrogate pair counts two units.
        assert_eq!(count_segments(&"😀".repeat(35)), (SmsEncoding::Ucs2, 1));
        assert_eq!(count_segments(&"😀".repeat(36)), (SmsEncoding::Ucs2, 2));
    }

    #[test]
    fn transliteration_keeps_gsm7() {
        let t = transliterate_turkish("Işığı söndür, Şule Çağlar’ın güzel köşküne – İzmir…");
        assert_eq!(t, "Isigi söndür, Sule Çaglar'in güzel kösküne - Izmir...");
        assert_eq!(encoding_of(&t), SmsEncoding::Gsm7);
    }

    #[test]
    fn policy_transliterates_by_default_and_keeps_unicode_on_request() {
        let text = "[Takip No: 7KM-3QX-9PA] Talebiniz alındı, Fen İşleri birimine iletildi.";
        let (out, enc, n) = prepare_text(text, &SmsConfig::default());
        assert_eq!(enc, SmsEncoding::Gsm7);
        assert_eq!(n, 1);
        assert!(out.contains("alindi") && out.contains("Fen Isleri"));
        let cfg = SmsConfig {
            policy: SmsEncodingPolicy::Unicode,
            max_segments: 3,
        };
        let (out, enc, n) = prepare_text(text, &cfg);
        assert_eq!((out.as_str(), enc, n), (text, SmsEncoding::Ucs2, 2));
    }

    #[test]
    fn long_text_is_cut_to_max_segments_with_ellipsis() {
        let text = format!("Takip No: 7KM-3QX-9PA {}", "uzun metin ".repeat(60));
        let cfg = SmsConfig {
            max_segments: 2,
            ..SmsConfig::default()
        };
        let (out, enc, n) = prepare_text(&text, &cfg);
        assert_eq!(enc, SmsEncoding::Gsm7);
        assert_eq!(n, 2);
        assert!(out.ends_with("..."));
        assert!(out.starts_with("Takip No: 7KM-3QX-9PA"));
        assert!(out.chars().count() <= 306 && out.chars().count() > 290);

        let cfg = SmsConfig {
            policy: SmsEncodingPolicy::Unicode,
            max_segments: 1,
        };
        let (out, enc, n) = prepare_text(&format!("ş{}", "a".repeat(200)), &cfg);
        assert_eq!((enc, n), (SmsEncoding::Ucs2, 1));
        assert!(out.ends_with('…'));
        assert_eq!(out.encode_utf16().count(), 70);
    }

    #[test]
    fn phone_numbers_are_normalised() {
        assert_eq!(
            normalize_phone("0532 111 22 33").as_deref(),
            Some("+905321112233")
        );
        assert_eq!(
            normalize_phone("+90 (532) 111-22-33").as_deref(),
            Some("+905321112233")
        );
        assert_eq!(
            normalize_phone("905321112233").as_deref(),
            Some("+905321112233")
        );
        assert_eq!(
            normalize_phone("5321112233").as_deref(),
            Some("+905321112233")
        );
        assert_eq!(
            normalize_phone("0090 532 111 22 33").as_deref(),
            Some("+905321112233")
        );
        assert_eq!(normalize_phone("ali@example.com"), None);
        assert_eq!(normalize_phone("123"), None);
        assert_eq!(normalize_phone(""), None);
    }

    #[test]
    fn a_tenants_sms_settings_become_the_gateway_configuration() {
        let settings = |text: &str| {
            muhtar_core::settings::TenantSettings::from_toml_str(text)
                .unwrap()
                .sms
                .unwrap()
        };
        let c = HttpSmsConfig::from_settings(&settings(
            r#"
            [sms]
            url = "https://sms.example.com/send"
            sender = "ORNEKBLD"
            username = "belediye"
            password = "gizli"
            format = "json"
            to_param = "gsm"
            text_param = "mesaj"
            "#,
        ));
        assert_eq!(c.url, "https://sms.example.com/send");
        assert_eq!(c.sender.as_deref(), Some("ORNEKBLD"));
        assert_eq!(
            c.auth,
            HttpAuth::Basic {
                user: "belediye".into(),
                password: "gizli".into()
            }
        );
        assert_eq!(c.body, HttpBody::Json);
        assert_eq!(
            (c.to_param.as_str(), c.text_param.as_str()),
            ("gsm", "mesaj")
        );
        // Only a URL: the defaults; a user name without a password is no authentication.
        let c = HttpSmsConfig::from_settings(&settings(
            "[sms]\nurl = \"http://127.0.0.1:9/sms\"\nusername = \"yalniz\"\n",
        ));
        assert_eq!(c.auth, HttpAuth::None);
        assert_eq!(c.body, HttpBody::Form);
        assert_eq!(c.sender, None);
        assert_eq!(
            (
                c.to_param.as_str(),
                c.text_param.as_str(),
                c.sender_param.as_str()
            ),
            ("to", "text", "sender")
        );
    }
}
