//! Stored shapes and their schema versions: how an event or a request state written by
//! any earlier version of this library is read as today's.
//!
//! A store writes an [`EventKind`] (an event's payload) or a [`RequestState`] as
//! [`Stored`]: the value's JSON with a `"schema": N` field beside its own fields (N the
//! type's [`Versioned::SCHEMA`]). Reading it back, [`upcast`] first turns the JSON of
//! whatever version it was written by into the current shape, one step per version, and
//! only then does serde read it. JSON without a `schema` field is version 1 (written
//! before schema versions existed). JSON of a version newer than this library reads is
//! refused ([`UpcastError::Newer`]) rather than misread.
//!
//! Each step is a pure function over the JSON object of one version, giving the next
//! version's. The golden fixtures under `muhtar-core/tests/fixtures/` hold every event
//! kind as written by each version; ARCHITECTURE.md ("Changing a stored shape") says how
//! to add a field, rename a variant or split an event.

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{EventKind, RequestState};

/// The name of the field that holds the schema version in stored JSON.
pub const SCHEMA_FIELD: &str = "schema";

/// One upcasting step: turns the JSON object of version N into that of version N + 1
/// (the `schema` field already removed), or says why it cannot.
pub type UpcastStep = fn(&mut Map<String, Value>) -> Result<(), String>;

/// A type stored as JSON with a schema version.
pub trait Versioned: Serialize + DeserializeOwned {
    /// What it is, for errors (`event`, `request state`).
    const WHAT: &'static str;
    /// The schema version this library writes.
    const SCHEMA: u32;
    /// The steps from each earlier version: `STEPS[i]` turns version `i + 1` into `i + 2`,
    /// so there are `SCHEMA - 1` of them.
    const STEPS: &'static [UpcastStep];
}

/// Why stored JSON could not be brought to the current shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpcastError {
    /// The stored value is not a JSON object.
    #[error("stored {what} is not a JSON object")]
    NotAnObject {
        /// What was read.
        what: &'static str,
    },
    /// The `schema` field is not a version number (a whole number from 1).
    #[error("stored {what} has schema {found}, which is not a version number")]
    BadSchema {
        /// What was read.
        what: &'static str,
        /// The field's value, as JSON.
        found: String,
    },
    /// Written by a newer version of the library than this one.
    #[error("stored {what} has schema {found}; this version reads up to schema {current}")]
    Newer {
        /// What was read.
        what: &'static str,
        /// The stored version.
        found: u64,
        /// The newest version this library reads.
        current: u32,
    },
    /// A step refused the value.
    #[error("stored {what} of schema {from} cannot be read as schema {}: {problem}", .from + 1)]
    Step {
        /// What was read.
        what: &'static str,
        /// The version the step starts from.
        from: u32,
        /// Why.
        problem: String,
    },
}

/// Turns stored JSON of any version up to `T::SCHEMA` into the current shape of `T`:
/// the JSON `T`'s serde reads, without the `schema` field.
pub fn upcast<T: Versioned>(value: Value) -> Result<Value, UpcastError> {
    let what = T::WHAT;
    let Value::Object(mut map) = value else {
        return Err(UpcastError::NotAnObject { what });
    };
    let found = match map.remove(SCHEMA_FIELD) {
        None => 1,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n,
            _ => {
                return Err(UpcastError::BadSchema {
                    what,
                    found: v.to_string(),
                })
            }
        },
    };
    if found > u64::from(T::SCHEMA) {
        return Err(UpcastError::Newer {
            what,
            found,
            current: T::SCHEMA,
        });
    }
    // `found` is from 1 to `T::SCHEMA`, a u32.
    let found = found as u32;
    for (from, step) in (found..).zip(&T::STEPS[(found - 1) as usize..]) {
        step(&mut map).map_err(|problem| UpcastError::Step {
            what,
            from,
            problem,
        })?;
    }
    Ok(Value::Object(map))
}

/// A value as stored: serialises with its `schema` field; deserialises JSON of any
/// earlier version through [`upcast`]. Write `Stored(&value)`, read `Stored<T>` and take
/// `.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T>(pub T);

impl<T: Versioned> Serialize for Stored<&T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(self.0).map_err(S::Error::custom)?;
        let Value::Object(map) = &mut v else {
            return Err(S::Error::custom(format!(
                "{} does not serialise as a JSON object",
                T::WHAT
            )));
        };
        map.insert(SCHEMA_FIELD.to_owned(), Value::from(T::SCHEMA));
        v.serialize(s)
    }
}

impl<'de, T: Versioned> Deserialize<'de> for Stored<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = upcast::<T>(Value::deserialize(d)?).map_err(D::Error::custom)?;
        T::deserialize(v).map(Stored).map_err(D::Error::custom)
    }
}

/// Version 2 made a request's `policy_rule` (why its SLA policy) a required field of the
/// `received` event and of the state; version 1 JSON written before policy rules existed
/// lacks it, and means [`crate::regime::DEFAULT_POLICY_RULE`].
fn require_policy_rule(map: &mut Map<String, Value>) {
    map.entry("policy_rule")
        .or_insert_with(|| Value::from(crate::regime::DEFAULT_POLICY_RULE));
}

fn event_v1_to_v2(map: &mut Map<String, Value>) -> Result<(), String> {
    if map.get("type").and_then(Value::as_str) == Some("received") {
        require_policy_rule(map);
    }
    Ok(())
}

fn state_v1_to_v2(map: &mut Map<String, Value>) -> Result<(), String> {
    require_policy_rule(map);
    Ok(())
}

impl Versioned for EventKind {
    const WHAT: &'static str = "event";
    const SCHEMA: u32 = 2;
    const STEPS: &'static [UpcastStep] = &[event_v1_to_v2];
}

impl Versioned for RequestState {
    const WHAT: &'static str = "request state";
    const SCHEMA: u32 = 2;
    const STEPS: &'static [UpcastStep] = &[state_v1_to_v2];
}

// One step per version after the first, for every stored type.
const _: () = assert!(EventKind::STEPS.len() + 1 == EventKind::SCHEMA as usize);
const _: () = assert!(RequestState::STEPS.len() + 1 == RequestState::SCHEMA as usize);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn accepted() -> Value {
        json!({"type": "accepted"})
    }

    #[test]
    fn stored_json_carries_the_schema_and_reads_back() {
        let v = serde_json::to_value(Stored(&EventKind::Accepted)).unwrap();
        assert_eq!(v, json!({"type": "accepted", "schema": EventKind::SCHEMA}));
        let back: Stored<EventKind> = serde_json::from_value(v).unwrap();
        assert_eq!(back.0, EventKind::Accepted);
    }

    #[test]
    fn json_without_a_schema_is_version_one() {
        let mut old = json!({"type": "received", "policy": "genelge-2015-8"});
        let up = upcast::<EventKind>(old.clone()).unwrap();
        old["policy_rule"] = json!("default");
        assert_eq!(up, old);
        // A version 2 value is left as it is, the schema field apart.
        let v2 = json!({"schema": 2, "type": "received", "policy_rule": "r"});
        assert_eq!(
            upcast::<EventKind>(v2).unwrap(),
            json!({"type": "received", "policy_rule": "r"})
        );
    }

    /// A type of three versions: 1 called the field `nam`, 2 renamed it `name`, 3 added
    /// `count` (refusing a version 2 value whose name is empty).
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Toy {
        name: String,
        count: u32,
    }

    fn rename_nam(map: &mut Map<String, Value>) -> Result<(), String> {
        let v = map.remove("nam").ok_or("no `nam`")?;
        map.insert("name".into(), v);
        Ok(())
    }

    fn add_count(map: &mut Map<String, Value>) -> Result<(), String> {
        if map.get("name") == Some(&json!("")) {
            return Err("empty name".into());
        }
        map.insert("count".into(), json!(1));
        Ok(())
    }

    impl Versioned for Toy {
        const WHAT: &'static str = "toy";
        const SCHEMA: u32 = 3;
        const STEPS: &'static [UpcastStep] = &[rename_nam, add_count];
    }

    #[test]
    fn steps_run_in_order_from_the_stored_version() {
        let want = Toy {
            name: "a".into(),
            count: 1,
        };
        let read = |v: Value| serde_json::from_value::<Stored<Toy>>(v).map(|s| s.0);
        assert_eq!(read(json!({"nam": "a"})).unwrap(), want);
        assert_eq!(read(json!({"schema": 2, "name": "a"})).unwrap(), want);
        assert_eq!(
            read(json!({"schema": 3, "name": "a", "count": 7})).unwrap(),
            Toy { count: 7, ..want }
        );
        assert_eq!(
            upcast::<Toy>(json!({"nam": ""})),
            Err(UpcastError::Step {
                what: "toy",
                from: 2,
                problem: "empty name".into()
            })
        );
        assert_eq!(
            upcast::<Toy>(json!({"name": "a"})),
            Err(UpcastError::Step {
                what: "toy",
                from: 1,
                problem: "no `nam`".into()
            })
        );
    }

    #[test]
    fn newer_and_malformed_schemas_are_refused() {
        let mut v = accepted();
        v["schema"] = json!(3);
        assert_eq!(
            upcast::<EventKind>(v),
            Err(UpcastError::Newer {
                what: "event",
                found: 3,
                current: 2
            })
        );
        for bad in [json!(0), json!(-1), json!("2"), json!(1.5), json!(null)] {
            let mut v = accepted();
            v["schema"] = bad.clone();
            assert_eq!(
                upcast::<EventKind>(v),
                Err(UpcastError::BadSchema {
                    what: "event",
                    found: bad.to_string()
                })
            );
        }
        assert_eq!(
            upcast::<RequestState>(json!([1])),
            Err(UpcastError::NotAnObject {
                what: "request state"
            })
        );
        let e =
            serde_json::from_value::<Stored<EventKind>>(json!({"type": "accepted", "schema": 9}))
                .unwrap_err();
        assert!(e.to_string().contains("reads up to schema 2"), "{e}");
    }
}
