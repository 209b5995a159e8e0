//! How values are written to and read from columns.

use chrono::{DateTime, Datelike, Utc};
use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::store::StoreError;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::bad_json;

/// An instant as fixed-width UTC RFC 3339 text with nanoseconds, which sorts in time order
/// (years 0 to 9999).
pub(crate) fn time_text(t: DateTime<Utc>) -> Result<String, StoreError> {
    if !(0..=9999).contains(&t.year()) {
        return Err(StoreError::invalid(format!(
            "instant {t} is outside the years 0 to 9999"
        )));
    }
    Ok(t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string())
}

/// An instant written by [`time_text`] (or any RFC 3339 text).
pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt_because(format!("instant {s:?}"), e))
}

/// An optional instant read back.
pub(crate) fn parse_opt_time(s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.as_deref().map(parse_time).transpose()
}

/// An instant as microseconds since the epoch (the contract's sort keys).
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// JSON text of a value.
pub(crate) fn to_json<T: Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::invalid_because(what, e))
}

/// A value from JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| bad_json(what, e))
}

/// The stable (serde) name of a unit-like enum value, e.g. a channel.
pub(crate) fn enum_name<T: Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::invalid(format!(
            "{what} does not encode as a name: {other}"
        ))),
        Err(e) => Err(StoreError::invalid_because(what, e)),
    }
}

/// A request id as stored: lowercase hyphenated, which sorts like the UUID.
pub(crate) fn id_text(id: RequestId) -> String {
    id.as_uuid().hyphenated().to_string()
}

/// A UUID as stored.
pub(crate) fn uuid_text(id: uuid::Uuid) -> String {
    id.hyphenated().to_string()
}

/// A tenant id read back.
pub(crate) fn parse_tenant(s: &str) -> Result<TenantId, StoreError> {
    TenantId::new(s).map_err(|e| StoreError::corrupt_because(format!("tenant {s:?}"), e))
}

/// A `u32` read back from an INTEGER column.
pub(crate) fn to_u32(what: &str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|e| StoreError::corrupt_because(format!("{what} {v}"), e))
}
