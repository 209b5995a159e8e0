//! JSON bodies read into typed values, with errors told apart by kind, never by their
//! text: not JSON at all ([`BodyError::Malformed`]), or JSON of the wrong shape at a
//! field ([`BodyError::Field`]), a missing field named as such.
//!
//! A body is read by `serde_json` as usual. Only when that fails is it read again from a
//! parsed [`Value`] through a deserializer whose error type records what serde reports
//! ([`de::Error::missing_field`] gives the field's name), with `serde_path_to_error`
//! giving the path: `serde_json`'s own error carries only a category and a message.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Unexpected, Visitor};
use serde_json::Value;

/// Why a JSON body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Not JSON: a syntax error or a body cut short.
    Malformed(serde_json::Error),
    /// JSON, but not of the expected shape.
    Field {
        /// The field the error is about (`location.lat`, a missing `subject`); `None`
        /// when it is about the body as a whole.
        field: Option<String>,
        /// What is wrong with it.
        message: String,
    },
}

/// Reads `T` from JSON text.
pub fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let first = match serde_json::from_slice::<T>(bytes) {
        Ok(v) => return Ok(v),
        Err(e) if e.is_syntax() || e.is_eof() || e.is_io() => return Err(BodyError::Malformed(e)),
        Err(e) => e,
    };
    let value: Value = serde_json::from_slice(bytes).map_err(BodyError::Malformed)?;
    match serde_path_to_error::deserialize::<_, T>(ValueDe(&value)) {
        Err(e) => {
            let path: Vec<String> = e.path().iter().map(ToString::to_string).collect();
            let inner = e.into_inner();
            let mut field = join(&path);
            if let Some(missing) = inner.missing {
                field = Some(match field {
                    Some(p) => format!("{p}.{missing}"),
                    None => missing.to_owned(),
                });
            }
            Err(BodyError::Field {
                field,
                message: inner.message,
            })
        }
        // Read from the parsed value it fits, so the text differs from it in what a
        // parsed value cannot hold (a key given twice): the first error is the one.
        Ok(_) => Err(BodyError::Field {
            field: None,
            message: first.to_string(),
        }),
    }
}

/// A path of segments as the API names fields: `location.lat`, `attachments[0].sha256`.
fn join(path: &[String]) -> Option<String> {
    let mut out = String::new();
    for s in path {
        if !out.is_empty() && !s.starts_with('[') {
            out.push('.');
        }
        out.push_str(s);
    }
    (!out.is_empty()).then_some(out)
}

/// What serde reported while reading a value.
#[derive(Debug)]
struct Problem {
    /// The field that is required and absent.
    missing: Option<&'static str>,
    message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl de::Error for Problem {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Problem {
            missing: None,
            message: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Problem {
            missing: Some(field),
            message: format!("missing field `{field}`"),
        }
    }
}

/// A parsed JSON value as a deserializer with [`Problem`] errors.
#[derive(Clone, Copy)]
struct ValueDe<'de>(&'de Value);

impl<'de> IntoDeserializer<'de, Problem> for ValueDe<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, f) => Unexpected::Float(f.unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> de::Deserializer<'de> for ValueDe<'de> {
    type Error = Problem;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(ValueDe));
                let v = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(v)
            }
            Value::Object(m) => {
                let mut map = MapDeserializer::new(m.iter().map(|(k, v)| (k.as_str(), ValueDe(v))));
                let v = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(v)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Problem> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Object(m) if m.len() == 1 => visitor.visit_enum(MapAccessDeserializer::new(
                MapDeserializer::new(m.iter().map(|(k, v)| (k.as_str(), ValueDe(v)))),
            )),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        lat: f64,
        #[serde(default)]
        note: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: String,
        #[serde(default)]
        at: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        attributes: BTreeMap<String, String>,
        #[serde(default)]
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Plain,
        Tagged(u8),
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(tag = "command", rename_all = "kebab-case")]
    enum Cmd {
        Close,
        Answer { text: String, outcome: Kind },
    }

    fn field_of<T: DeserializeOwned + fmt::Debug>(json: &str) -> Option<String> {
        match read::<T>(json.as_bytes()) {
            Err(BodyError::Field { field, .. }) => field,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named_wherever_it_is() {
        assert_eq!(field_of::<Outer>("{}").as_deref(), Some("name"));
        assert_eq!(
            field_of::<Outer>(r#"{"name": "a", "at": {"note": "x"}}"#).as_deref(),
            Some("at.lat")
        );
        assert_eq!(
            field_of::<Outer>(r#"{"name": "a", "list": [{"lat": 1}, {}]}"#).as_deref(),
            Some("list[1].lat")
        );
        // Inside an internally tagged enum, where the path is lost, the name is not.
        assert_eq!(
            field_of::<Cmd>(r#"{"command": "answer", "outcome": "plain"}"#).as_deref(),
            Some("text")
        );
    }

    #[test]
    fn a_wrong_type_or_an_unknown_field_is_named_by_its_path() {
        assert_eq!(field_of::<Outer>(r#"{"name": 5}"#).as_deref(), Some("name"));
        assert_eq!(
            field_of::<Outer>(r#"{"name": "a", "at": {"lat": "x"}}"#).as_deref(),
            Some("at.lat")
        );
        assert_eq!(
            field_of::<Outer>(r#"{"name": "a", "colour": "red"}"#).as_deref(),
            Some("colour")
        );
        assert_eq!(
            field_of::<Outer>(r#"{"name": "a", "kind": "odd"}"#).as_deref(),
            Some("kind")
        );
        assert_eq!(
            field_of::<Outer>(r#"{"name": "a", "attributes": {"k": 1}}"#).as_deref(),
            Some("attributes.k")
        );
    }

    #[test]
    fn what_serde_json_reads_reads_the_same() {
        let v: Outer = read(
            br#"{"name": "a", "at": {"lat": 41, "note": null}, "list": [{"lat": -1.5}],
                "attributes": {"k": "v"}, "kind": {"tagged": 3}}"#,
        )
        .unwrap();
        assert_eq!(
            v.at,
            Some(Inner {
                lat: 41.0,
                note: None
            })
        );
        assert_eq!(v.kind, Some(Kind::Tagged(3)));
        assert_eq!(read::<Cmd>(br#"{"command": "close"}"#).unwrap(), Cmd::Close);
    }

    #[test]
    fn not_json_is_malformed_and_a_key_given_twice_is_refused() {
        assert!(matches!(
            read::<Outer>(br#"{"name": "#),
            Err(BodyError::Malformed(_))
        ));
        assert!(matches!(
            read::<Outer>(br#"{"name" "a"}"#),
            Err(BodyError::Malformed(_))
        ));
        // serde_json refuses it; the parsed value would hold only the last one.
        match read::<Outer>(br#"{"name": "a", "name": "b"}"#) {
            Err(BodyError::Field {
                field: None,
                message,
            }) => {
                assert!(message.contains("duplicate"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
