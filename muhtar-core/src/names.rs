//! The one name table of every named enum: each variant's stable name (in JSON, TOML,
//! URLs, the database, the CLI) and its Turkish display name, side by side.
//!
//! `named_enum!` turns one table into `ALL`, `NAMES`, `as_str`, `display_name`,
//! `FromStr` (an [`UnknownName`] lists the valid values) and serde through the stable
//! name, for a fieldless enum defined as usual; or, for an enum whose variants carry data
//! (events, commands), defines the fieldless tag enum of its variants and the method that
//! gives a value's tag. The stable names are a contract with stored data and clients:
//! `tests/names.rs` pins every table to `tests/fixtures/names.txt`.

/// A name that is not in an enum's table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: unknown {value:?}; valid values: {}", valid.iter().chain(also.iter()).copied().collect::<Vec<_>>().join(", "))]
pub struct UnknownName {
    /// What was named (`channel`, `status`, …).
    pub what: &'static str,
    /// The name given.
    pub value: String,
    /// The valid names.
    pub valid: &'static [&'static str],
    /// Other words valid where the name was given (a filter's `open`), after `valid`.
    pub also: &'static [&'static str],
}

impl UnknownName {
    /// The field (what was named), as [`crate::request::InputError::field`].
    pub fn field(&self) -> &'static str {
        self.what
    }
}

/// Implements an enum's names from one table; see the [module](self).
///
/// ```ignore
/// named_enum! {
///     impl Outcome: "outcome" {
///         Positive => ("positive", "olumlu"),
///         Negative => ("negative", "olumsuz"),
///     }
/// }
/// ```
///
/// A variant may have older names that are still read: `BeyazMasa => ("beyaz-masa",
/// "İBB Beyaz Masa", also "metropolitan-system")`. For an enum with data, the form
/// `pub enum EventType: "event type" for EventKind::event_type { … }` defines `EventType`
/// (the variants named as `EventKind`'s) and `EventKind::event_type`.
macro_rules! named_enum {
    (
        impl $name:ident : $what:literal {
            $( $var:ident => ($stable:literal, $display:literal $(, also $alias:literal)* ) ),+ $(,)?
        }
    ) => {
        impl $name {
            /// Every value, in the order of the name table.
            pub const ALL: [$name; [$($stable),+].len()] = [$($name::$var),+];

            /// Every stable name, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($stable),+];

            /// The stable name, as in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $stable,)+
                }
            }

            /// The Turkish name people read.
            pub fn display_name(self) -> &'static str {
                match self {
                    $($name::$var => $display,)+
                }
            }

            /// The value with this stable name (or an older name still read).
            pub fn from_name(s: &str) -> Option<$name> {
                match s {
                    $($stable $(| $alias)* => Some($name::$var),)+
                    _ => None,
                }
            }

            /// The value with this display name (what people type who read it).
            pub fn from_display_name(s: &str) -> Option<$name> {
                Self::ALL.into_iter().find(|v| v.display_name() == s)
            }

            /// Every valid stable name, comma-separated (for help texts and errors).
            pub fn valid_values() -> String {
                Self::NAMES.join(", ")
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;
            /// Parses a stable name (surrounding white space ignored).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::from_name(s.trim()).ok_or_else(|| $crate::names::UnknownName {
                    what: $what,
                    value: s.trim().to_owned(),
                    valid: $name::NAMES,
                    also: &[],
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visit;
                impl ::serde::de::Visitor<'_> for Visit {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, "a {}", $what)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::from_name(s)
                            .ok_or_else(|| E::unknown_variant(s, $name::NAMES))
                    }
                }
                d.deserialize_str(Visit)
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal for $data:ident :: $method:ident {
            $( $var:ident => ($stable:literal, $display:literal $(, also $alias:literal)* ) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                #[doc = concat!("`", $stable, "`: ", $display, ".")]
                $var,
            )+
        }

        $crate::names::named_enum! {
            impl $name: $what {
                $( $var => ($stable, $display $(, also $alias)*) ),+
            }
        }

        impl $data {
            #[doc = concat!("The [`", stringify!($name), "`] of this value: its stable and display names.")]
            pub fn $method(&self) -> $name {
                match self {
                    $($data::$var { .. } => $name::$var,)+
                }
            }
        }
    };
}

pub(crate) use named_enum;
