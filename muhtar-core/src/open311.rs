//! Open311 GeoReport v2 form decoding: the `application/x-www-form-urlencoded` body of a
//! `POST requests` into a [`NewRequest`], or a typed [`FormError`] naming the parameter.
//!
//! Pure: bytes, the tenant's organisation and the submitting actor in, a request out.
//! [`parse_params`] also reads the query strings of the REST and Open311 interfaces.
//! The HTTP server (`muhtar serve`) calls it; the fuzz target `open311_form` feeds it
//! arbitrary bytes. What the request says is checked afterwards by
//! [`NewRequest::validate`], like every other channel's.
//!
//! How the parameters map:
//! - `service_code` → category (required, one of the organisation's);
//! - `lat` + `long` (together) or `address_string` / `address_id` → location (one is
//!   required);
//! - `description` → description; its first line (at most [`MAX_SUBJECT`] characters)
//!   is the subject, else the category's name;
//! - `first_name`, `last_name`, `email`, `phone` → the citizen (personal data);
//! - `attribute[code]` → the category's extra fields; `attribute[muhtarlik]` names the
//!   muhtarlık for actors other than a muhtar (a muhtar always submits for their own);
//! - `media_url` → a link to a photo.
//!
//! ```
//! use muhtar_core::access::Actor;
//! use muhtar_core::open311::{decode_request, FormError};
//! # let org = muhtar_core::testkit::fixtures::organisation("ibb");
//! let muhtar = Actor::parse(&org.tenant.id, "muhtar:kuzguncuk").unwrap();
//! let r = decode_request(&org, &muhtar, b"service_code=asfalt-onarim&address_string=Kuzguncuk+Cd.+1").unwrap();
//! assert_eq!(r.category, "asfalt-onarim");
//! let e = decode_request(&org, &muhtar, b"service_code=asfalt-onarim&lat=41").unwrap_err();
//! assert_eq!(e, FormError::LocationIncomplete);
//! assert_eq!(e.field(), "lat");
//! ```

use std::collections::BTreeMap;

use crate::access::Actor;
use crate::ids::MuhtarlikCode;
use crate::org::Organisation;
use crate::request::{Channel, CitizenContact, Location, NewRequest, MAX_SUBJECT};

/// Form parameters by name; a repeated name keeps its last value; `attribute[x]` keys
/// are kept as they are.
pub type Params = BTreeMap<String, String>;

/// How an error names a parameter whose name is empty (`=value`).
pub const UNNAMED: &str = "(unnamed parameter)";

/// The longest part of a client's value that an error message repeats, in characters.
pub const ECHO_MAX: usize = 64;

/// Why an Open311 form could not become a request. Each names its parameter
/// ([`FormError::field`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A required parameter is missing or empty.
    #[error("{field} is required")]
    Missing {
        /// The parameter.
        field: &'static str,
    },
    /// `service_code` names no category of the organisation.
    #[error("service_code: unknown {0:?}")]
    UnknownService(String),
    /// A coordinate is not a number.
    #[error("{field}: {value:?} is not a number")]
    NotANumber {
        /// `lat` or `long`.
        field: &'static str,
        /// The start of the value.
        value: String,
    },
    /// Only one of `lat` and `long` was given.
    #[error("lat and long go together")]
    LocationIncomplete,
    /// Neither coordinates nor an address.
    #[error("a location is required: lat and long, or address_string")]
    LocationRequired,
    /// The actor is not a muhtar and did not name the muhtarlık.
    #[error("attribute[muhtarlik] is required for this api_key")]
    MuhtarlikRequired,
    /// `attribute[muhtarlik]` is not a muhtarlık code.
    #[error("attribute[muhtarlik]: unknown {0:?}")]
    BadMuhtarlik(String),
    /// A parameter an Open311 client may not set: `received_at` (only back-office staff
    /// say when a request arrived; the receipt is the moment the server got it).
    #[error("{field}: an Open311 client may not set it; the request is received now")]
    NotAllowed {
        /// The parameter.
        field: &'static str,
    },
    /// A parameter's name or value is not UTF-8 (after percent-decoding).
    #[error("{name}: not valid UTF-8")]
    NotUtf8 {
        /// The parameter (its name decoded lossily, at most [`ECHO_MAX`] characters).
        name: String,
    },
}

impl FormError {
    /// The parameter the error is about.
    pub fn field(&self) -> &str {
        match self {
            FormError::Missing { field }
            | FormError::NotANumber { field, .. }
            | FormError::NotAllowed { field } => field,
            FormError::UnknownService(_) => "service_code",
            FormError::LocationIncomplete | FormError::LocationRequired => "lat",
            FormError::MuhtarlikRequired | FormError::BadMuhtarlik(_) => "attribute[muhtarlik]",
            FormError::NotUtf8 { name } => name,
        }
    }
}

/// The start of a client's value, for an error message: at most [`ECHO_MAX`] characters.
pub fn echo(value: &str) -> String {
    let mut out: String = value.chars().take(ECHO_MAX).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    out
}

/// Query or form parameters of `application/x-www-form-urlencoded` bytes: pairs split
/// at `&`, name and value at the first `=`, `+` is a space, `%XX` a byte (a `%` not
/// followed by two hex digits stays as it is). A name or value that is not UTF-8 once
/// decoded is refused, naming the parameter: nothing is replaced silently.
pub fn parse_params(bytes: &[u8]) -> Result<Params, FormError> {
    let mut out = Params::new();
    for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = percent_decode(name);
        let name = String::from_utf8(name).map_err(|e| FormError::NotUtf8 {
            name: echo(&String::from_utf8_lossy(e.as_bytes())),
        })?;
        let value = String::from_utf8(percent_decode(value)).map_err(|_| FormError::NotUtf8 {
            name: if name.is_empty() {
                UNNAMED.to_owned()
            } else {
                echo(&name)
            },
        })?;
        out.insert(name, value);
    }
    Ok(out)
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn number(p: &Params, field: &'static str) -> Result<Option<f64>, FormError> {
    p.get(field)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<f64>().map_err(|_| FormError::NotANumber {
                field,
                value: echo(v),
            })
        })
        .transpose()
}

/// The request of a decoded Open311 form, submitted by `actor` with channel `open311`.
pub fn new_request(org: &Organisation, actor: &Actor, p: &Params) -> Result<NewRequest, FormError> {
    if p.contains_key("received_at") {
        return Err(FormError::NotAllowed {
            field: "received_at",
        });
    }
    let get = |k: &str| {
        p.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let code = get("service_code").ok_or(FormError::Missing {
        field: "service_code",
    })?;
    let category = org
        .category(&code)
        .ok_or_else(|| FormError::UnknownService(echo(&code)))?;
    let location = match (number(p, "lat")?, number(p, "long")?) {
        (Some(lat), Some(lon)) => Some(Location { lat, lon }),
        (None, None) => None,
        _ => return Err(FormError::LocationIncomplete),
    };
    let address = get("address_string");
    if location.is_none() && address.is_none() && get("address_id").is_none() {
        return Err(FormError::LocationRequired);
    }
    let mut attributes = BTreeMap::new();
    // A muhtar's key always submits for their own muhtarlık (the role's default wins
    // over `attribute[muhtarlik]`); other keys name it.
    let mut muhtarlik = actor.submission_defaults().muhtarlik.map(|m| m.to_string());
    for (k, v) in p {
        if let Some(code) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix(']'))
        {
            if code == "muhtarlik" {
                if muhtarlik.is_none() {
                    muhtarlik = Some(v.clone());
                }
            } else {
                attributes.insert(code.to_owned(), v.clone());
            }
        }
    }
    let muhtarlik = muhtarlik.ok_or(FormError::MuhtarlikRequired)?;
    let muhtarlik = MuhtarlikCode::new(muhtarlik.clone())
        .map_err(|_| FormError::BadMuhtarlik(echo(&muhtarlik)))?;
    let description = get("description").unwrap_or_default();
    let subject: String = match description.lines().next() {
        Some(l) if !l.trim().is_empty() => l.trim().chars().take(MAX_SUBJECT).collect(),
        _ => category.name.clone(),
    };
    let name = [get("first_name"), get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let (email, phone) = (get("email"), get("phone"));
    let citizen = if name.is_empty() && email.is_none() && phone.is_none() {
        None
    } else {
        Some(CitizenContact {
            name: if name.is_empty() {
                email.clone().or_else(|| phone.clone()).unwrap_or_default()
            } else {
                name
            },
            phone,
            email,
        })
    };
    Ok(
        NewRequest::builder(muhtarlik, Channel::Open311, category.code.clone(), subject)
            .description(description)
            .location(location)
            .address(address)
            .citizen(citizen)
            .attributes(attributes)
            .media_url(get("media_url"))
            .build(),
    )
}

/// [`parse_params`] then [`new_request`]: form bytes to the request they submit.
pub fn decode_request(
    org: &Organisation,
    actor: &Actor,
    form: &[u8],
) -> Result<NewRequest, FormError> {
    new_request(org, actor, &parse_params(form)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::fixtures::{organisation, t0};

    fn org() -> Organisation {
        organisation("ibb")
    }

    fn actor(spec: &str) -> Actor {
        Actor::parse(&org().tenant.id, spec).unwrap()
    }

    #[test]
    fn a_full_form_becomes_a_request() {
        let form = "service_code=asfalt-onarim&lat=41.03&long=29.03\
            &description=Okul+%C3%B6n%C3%BCnde+%C3%A7ukur%0ADerin&first_name=Ay%C5%9Fe\
            &last_name=Y%C4%B1lmaz&email=ayse%40example.org&phone=0532+111+22+33\
            &attribute[renk]=gri&media_url=https%3A%2F%2Ffoto.example.org%2F1.jpg";
        let r = decode_request(&org(), &actor("muhtar:kuzguncuk"), form.as_bytes()).unwrap();
        assert_eq!(r.muhtarlik.as_str(), "kuzguncuk");
        assert_eq!(r.channel, Channel::Open311);
        assert_eq!(r.category, "asfalt-onarim");
        assert_eq!(r.subject, "Okul önünde çukur");
        assert_eq!(r.description, "Okul önünde çukur\nDerin");
        assert_eq!(
            r.location,
            Some(Location {
                lat: 41.03,
                lon: 29.03
            })
        );
        let c = r.citizen.clone().unwrap();
        assert_eq!(c.name, "Ayşe Yılmaz");
        assert_eq!(c.email.as_deref(), Some("ayse@example.org"));
        assert_eq!(c.phone.as_deref(), Some("0532 111 22 33"));
        assert_eq!(r.attributes.get("renk").map(String::as_str), Some("gri"));
        assert_eq!(
            r.media_url.as_deref(),
            Some("https://foto.example.org/1.jpg")
        );
        // The core validation takes it from here: the fixture's category has no extra
        // fields, so the attribute is refused there, by name.
        assert_eq!(r.validate(&org(), t0()).unwrap_err().field(), "attributes");
        let mut r = r;
        r.attributes.clear();
        let content = r.validate(&org(), t0()).unwrap();
        assert_eq!(content.subject, "Okul önünde çukur");
    }

    #[test]
    fn the_subject_defaults_to_the_category_and_the_citizen_to_the_contact() {
        let r = decode_request(
            &org(),
            &actor("muhtar:kuzguncuk"),
            b"service_code=budama&address_string=Park&email=a%40b.org",
        )
        .unwrap();
        assert_eq!(r.subject, "Budama ve ağaç kesimi");
        assert_eq!(r.location, None);
        assert_eq!(r.address.as_deref(), Some("Park"));
        assert_eq!(r.citizen.unwrap().name, "a@b.org");
    }

    #[test]
    fn a_muhtar_always_submits_for_their_own_muhtarlik() {
        let form = b"service_code=cop&address_id=7&attribute[muhtarlik]=cengelkoy";
        let r = decode_request(&org(), &actor("muhtar:kuzguncuk"), form).unwrap();
        assert_eq!(r.muhtarlik.as_str(), "kuzguncuk");
        assert!(r.attributes.is_empty(), "the muhtarlık is not an attribute");
        let r = decode_request(&org(), &actor("coordinator"), form).unwrap();
        assert_eq!(r.muhtarlik.as_str(), "cengelkoy");
    }

    #[test]
    fn each_error_names_its_parameter() {
        let m = actor("muhtar:kuzguncuk");
        let c = actor("coordinator");
        let cases: [(&Actor, &[u8], FormError, &str); 9] = [
            (
                &m,
                b"",
                FormError::Missing {
                    field: "service_code",
                },
                "service_code",
            ),
            (
                &m,
                b"service_code=+&lat=41&long=29",
                FormError::Missing {
                    field: "service_code",
                },
                "service_code",
            ),
            (
                &m,
                b"service_code=nope&lat=41&long=29",
                FormError::UnknownService("nope".into()),
                "service_code",
            ),
            (
                &m,
                b"service_code=cop&lat=north&long=29",
                FormError::NotANumber {
                    field: "lat",
                    value: "north".into(),
                },
                "lat",
            ),
            (
                &m,
                b"service_code=cop&lat=41&long=x",
                FormError::NotANumber {
                    field: "long",
                    value: "x".into(),
                },
                "long",
            ),
            (
                &m,
                b"service_code=cop&long=29",
                FormError::LocationIncomplete,
                "lat",
            ),
            (
                &m,
                b"service_code=cop&description=x",
                FormError::LocationRequired,
                "lat",
            ),
            (
                &c,
                b"service_code=cop&address_string=x",
                FormError::MuhtarlikRequired,
                "attribute[muhtarlik]",
            ),
            (
                &c,
                b"service_code=cop&address_string=x&attribute[muhtarlik]=a+b",
                FormError::BadMuhtarlik("a b".into()),
                "attribute[muhtarlik]",
            ),
        ];
        for (who, form, want, field) in cases {
            let e = decode_request(&org(), who, form).unwrap_err();
            assert_eq!(e, want, "{}", String::from_utf8_lossy(form));
            assert_eq!(e.field(), field);
        }
    }

    #[test]
    fn hostile_bytes_decode_without_panic_and_echo_little() {
        let m = actor("muhtar:kuzguncuk");
        // Invalid UTF-8, raw or percent-encoded, is refused naming the parameter.
        for form in [
            &b"service_code=cop&address_string=%FF%FE"[..],
            b"service_code=cop&address_string=\xff",
            b"service_code=cop&address_string=%C3",
        ] {
            let e = decode_request(&org(), &m, form).unwrap_err();
            assert_eq!(e.field(), "address_string", "{e}");
        }
        let e = decode_request(&org(), &m, b"service_code=cop&%FFx=1").unwrap_err();
        assert_eq!(e.field(), "\u{FFFD}x");
        // Found by the fuzz target: a value without a name still names something.
        let e = decode_request(&org(), &m, b"service_code=cop&=%FF").unwrap_err();
        assert_eq!(e.field(), UNNAMED);
        // NUL and bad escapes decode, never a panic...
        let r = decode_request(
            &org(),
            &m,
            b"service_code=cop&address_string=%C3%A7&description=%00%zz%&lat=&long=",
        )
        .unwrap();
        assert_eq!(r.address.as_deref(), Some("ç"));
        assert_eq!(r.description, "\u{0}%zz%");
        // ... and the control character is refused by validation, naming the subject
        // (the description's first line).
        assert_eq!(r.validate(&org(), t0()).unwrap_err().field(), "subject");
        let long = format!("service_code={}&lat=1&long=2", "x".repeat(100_000));
        let e = decode_request(&org(), &m, long.as_bytes()).unwrap_err();
        assert!(e.to_string().len() < 3 * ECHO_MAX, "{e}");
    }

    #[test]
    fn parameters_decode_like_form_urlencoded_on_valid_utf8() {
        let p = parse_params(b"a=1&a=2&b&&c=x=y&d=%41+%2B%2&e%5B0%5D=%C4%B1").unwrap();
        assert_eq!(
            p.get("a").map(String::as_str),
            Some("2"),
            "the last value wins"
        );
        assert_eq!(p.get("b").map(String::as_str), Some(""));
        assert_eq!(p.get("c").map(String::as_str), Some("x=y"));
        assert_eq!(p.get("d").map(String::as_str), Some("A +%2"));
        assert_eq!(p.get("e[0]").map(String::as_str), Some("ı"));
        assert_eq!(p.len(), 5);
    }

    proptest::proptest! {
        #[test]
        fn valid_utf8_decodes_as_form_urlencoded_does(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let theirs: Params = form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            match parse_params(&bytes) {
                Ok(ours) => proptest::prop_assert_eq!(ours, theirs),
                // Refused only where the reference had to replace something.
                Err(_) => {
                    let replaced = theirs
                        .iter()
                        .any(|(k, v)| k.contains(char::REPLACEMENT_CHARACTER) || v.contains(char::REPLACEMENT_CHARACTER));
                    proptest::prop_assert!(replaced);
                }
            }
        }
    }
}
