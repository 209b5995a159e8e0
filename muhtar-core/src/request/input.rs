//! Bad input: [`InputError`], which names the field and says what would be valid, and
//! the readers of the date and time fields people type ([`parse_instant`],
//! [`parse_date`]).

use chrono::format::ParseErrorKind;
use chrono::{DateTime, NaiveDate, Utc};

/// How many valid values an [`InputError::Unknown`] names before it says how many more
/// there are.
pub const VALID_SHOWN: usize = 10;

/// The form of an instant people type, with an example.
pub const INSTANT_FORM: &str = "a date-time; expected RFC 3339, e.g. 2025-03-14T10:00:00+03:00";
/// The form of a day people type, with an example.
pub const DATE_FORM: &str = "a date; expected YYYY-MM-DD, e.g. 2025-03-14";

/// A bad field in a request or command. Names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A required text is empty.
    #[error("{field} is required")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A text is too long.
    #[error("{field} is {len} characters long, at most {max} are allowed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A number outside its allowed range.
    #[error("{field} = {value} is out of bounds")]
    OutOfBounds {
        /// The field.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// A coordinate outside Turkey's bounding box
    /// ([`crate::request::TURKEY_BOUNDS`]).
    #[error("{field} = {value} is outside Turkey ({min}–{max} {axis})")]
    OutsideTurkey {
        /// The field (`location.lat`, `location.lon`).
        field: &'static str,
        /// The value given.
        value: String,
        /// The smallest value accepted.
        min: String,
        /// The largest value accepted.
        max: String,
        /// `N` for a latitude, `E` for a longitude.
        axis: char,
    },
    /// An unknown code; `valid` lists the codes that are known (empty when they cannot
    /// be listed, such as tracking numbers).
    #[error("{field}: unknown {value:?}{}", valid_text(valid))]
    Unknown {
        /// The field.
        field: &'static str,
        /// The code.
        value: String,
        /// The valid codes, in the order of their definition.
        valid: Vec<String>,
    },
    /// A date or time that is not in the form expected.
    #[error("{field}: {value:?} is not {expected}")]
    NotDateTime {
        /// The field.
        field: &'static str,
        /// The text given.
        value: String,
        /// What was expected, with an example ([`INSTANT_FORM`], [`DATE_FORM`], …).
        expected: &'static str,
    },
    /// A date or time in the right form that does not exist (`2026-02-30`, hour 25).
    #[error("{field}: {value:?} is not a date that exists (no such month, day or time)")]
    ImpossibleDate {
        /// The field.
        field: &'static str,
        /// The text given.
        value: String,
    },
    /// A value not accepted here.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// `; valid: a, b, c` or, past [`VALID_SHOWN`] values, the first of them and how to see
/// all (the tenant's organisation lists its codes).
fn valid_text(valid: &[String]) -> String {
    match valid.len() {
        0 => String::new(),
        n if n <= VALID_SHOWN => format!("; valid: {}", valid.join(", ")),
        n => format!(
            "; valid: {} … and {} more (all of them: GET /api/v1/organisation)",
            valid[..VALID_SHOWN].join(", "),
            n - VALID_SHOWN
        ),
    }
}

impl InputError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            InputError::Empty { field }
            | InputError::TooLong { field, .. }
            | InputError::OutOfBounds { field, .. }
            | InputError::OutsideTurkey { field, .. }
            | InputError::Unknown { field, .. }
            | InputError::NotDateTime { field, .. }
            | InputError::ImpossibleDate { field, .. }
            | InputError::Invalid { field, .. } => field,
        }
    }

    /// An unknown code of `field`, listing the valid ones.
    pub fn unknown<S: ToString>(
        field: &'static str,
        value: impl Into<String>,
        valid: impl IntoIterator<Item = S>,
    ) -> Self {
        InputError::Unknown {
            field,
            value: value.into(),
            valid: valid.into_iter().map(|v| v.to_string()).collect(),
        }
    }

    /// The error of a date or time that chrono could not read: impossible when the form
    /// was right but the value does not exist, else not in the form `expected`.
    fn of_chrono(
        field: &'static str,
        value: &str,
        expected: &'static str,
        e: chrono::ParseError,
    ) -> Self {
        let value = value.to_owned();
        if e.kind() == ParseErrorKind::OutOfRange {
            InputError::ImpossibleDate { field, value }
        } else {
            InputError::NotDateTime {
                field,
                value,
                expected,
            }
        }
    }
}

/// Reads an instant people type (RFC 3339, with its offset) for `field`: an error names
/// the field and the form expected ([`INSTANT_FORM`]), or says the date does not exist.
///
/// ```
/// use muhtar_core::request::parse_instant;
/// let e = parse_instant("--received-at", "2025-03-14").unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "--received-at: \"2025-03-14\" is not a date-time; expected RFC 3339, e.g. 2025-03-14T10:00:00+03:00"
/// );
/// assert!(parse_instant("received_at", "2026-02-30T10:00:00+03:00").is_err());
/// ```
pub fn parse_instant(field: &'static str, text: &str) -> Result<DateTime<Utc>, InputError> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| InputError::of_chrono(field, t, INSTANT_FORM, e))
}

/// Reads a day people type (`YYYY-MM-DD`) for `field`: an error names the field and the
/// form expected ([`DATE_FORM`]), or says the date does not exist.
pub fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate, InputError> {
    parse_date_as(field, text, DATE_FORM)
}

/// [`parse_date`], saying `expected` when the form is wrong.
pub(crate) fn parse_date_as(
    field: &'static str,
    text: &str,
    expected: &'static str,
) -> Result<NaiveDate, InputError> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|e| InputError::of_chrono(field, t, expected, e))
}

/// A request's `received_at` from JSON through [`parse_instant`], so that a malformed
/// instant is refused naming the field and the form expected (serde's own message is
/// "premature end of input").
pub fn deserialize_received_at<'de, D>(d: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text: Option<String> = serde::Deserialize::deserialize(d)?;
    text.map(|t| parse_instant("received_at", &t))
        .transpose()
        .map_err(serde::de::Error::custom)
}

impl crate::org::Organisation {
    /// The unit with this code, or an [`InputError::Unknown`] naming `field` and listing
    /// the organisation's units (a code that is not even well-formed is unknown too).
    pub fn known_unit(
        &self,
        field: &'static str,
        code: &str,
    ) -> Result<&crate::org::Unit, InputError> {
        self.units
            .iter()
            .find(|u| u.code.as_str() == code.trim())
            .ok_or_else(|| {
                InputError::unknown(field, code.trim(), self.units.iter().map(|u| &u.code))
            })
    }

    /// The muhtarlık with this code, or an [`InputError::Unknown`] naming `field` and
    /// listing the organisation's muhtarlıklar.
    pub fn known_muhtarlik(
        &self,
        field: &'static str,
        code: &str,
    ) -> Result<&crate::org::Muhtarlik, InputError> {
        self.muhtarliklar
            .iter()
            .find(|m| m.code.as_str() == code.trim())
            .ok_or_else(|| {
                InputError::unknown(
                    field,
                    code.trim(),
                    self.muhtarliklar.iter().map(|m| &m.code),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Location, ReplyBy};

    #[test]
    fn a_date_time_names_the_field_and_the_form_or_says_it_does_not_exist() {
        let e = parse_instant("--received-at", "2025-03-14").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--received-at: \"2025-03-14\" is not a date-time; expected RFC 3339, e.g. \
             2025-03-14T10:00:00+03:00"
        );
        assert_eq!(e.field(), "--received-at");
        let e = parse_instant("received_at", "2026-02-30T10:00:00+03:00").unwrap_err();
        assert_eq!(
            e.to_string(),
            "received_at: \"2026-02-30T10:00:00+03:00\" is not a date that exists (no such \
             month, day or time)"
        );
        let e = parse_date("first day", "2026-02-30").unwrap_err();
        assert!(matches!(
            e,
            InputError::ImpossibleDate {
                field: "first day",
                ..
            }
        ));
        let e = parse_date("first day", "30.02.2026").unwrap_err();
        assert_eq!(
            e.to_string(),
            "first day: \"30.02.2026\" is not a date; expected YYYY-MM-DD, e.g. 2025-03-14"
        );
        assert!(matches!(
            ReplyBy::parse_field("--reply-by", "2026-02-30"),
            Err(InputError::ImpossibleDate {
                field: "--reply-by",
                ..
            })
        ));
        let e = ReplyBy::parse_field("reply_by", "yarın").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("reply_by: \"yarın\" is not a date or a date-time"),
            "{e}"
        );
        let e = serde_json::from_str::<crate::request::NewRequest>(
            r#"{"muhtarlik": "kuzguncuk", "channel": "phone", "category": "x",
                "subject": "y", "received_at": "2025-03-14"}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("received_at: \"2025-03-14\" is not a date-time"),
            "{e}"
        );
    }

    #[test]
    fn a_coordinate_outside_turkey_names_the_range() {
        let at = |lat, lon| Location { lat, lon }.check().unwrap_err().to_string();
        assert_eq!(
            at(51.5, 29.0),
            "location.lat = 51.5 is outside Turkey (35.7–42.2 N)"
        );
        assert_eq!(
            at(41.0, -0.1),
            "location.lon = -0.1 is outside Turkey (25.5–45 E)"
        );
        assert_eq!(
            at(f64::NAN, 29.0),
            "location.lat = NaN is outside Turkey (35.7–42.2 N)"
        );
    }

    #[test]
    fn an_unknown_code_lists_ten_valid_ones_and_says_how_many_more() {
        let few = InputError::unknown("category", "yok", ["a", "b"]);
        assert_eq!(few.to_string(), "category: unknown \"yok\"; valid: a, b");
        let many = InputError::unknown("unit", "yok", (1..=13).map(|i| format!("u{i}")));
        assert_eq!(
            many.to_string(),
            "unit: unknown \"yok\"; valid: u1, u2, u3, u4, u5, u6, u7, u8, u9, u10 … and 3 \
             more (all of them: GET /api/v1/organisation)"
        );
        let none = InputError::unknown("into", "ABC", [""; 0]);
        assert_eq!(none.to_string(), "into: unknown \"ABC\"");
    }

    #[test]
    fn an_organisation_names_its_units_and_muhtarliklar_when_one_is_unknown() {
        let org = crate::testkit::fixtures::organisation("a");
        assert!(org.known_unit("unit", "asfalt").is_ok());
        let e = org.known_unit("--unit", "yok").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--unit: unknown \"yok\"; valid: belediye, muhtarliklar"),
            "{e}"
        );
        let e = org.known_muhtarlik("muhtarlik", "yok").unwrap_err();
        assert!(e.to_string().contains("kuzguncuk"), "{e}");
    }
}
