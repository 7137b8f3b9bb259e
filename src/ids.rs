//! Identifiers: [`TenantId`], [`ListId`], [`EventId`] and the suppression
//! [`Scope`] made of them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not an acceptable [`TenantId`], [`ListId`] or
/// [`EventId`].
///
/// A host error in the caller's data: answer 400, never retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The id is empty.
    #[error("the id is empty")]
    Empty,
    /// The id is longer than 128 bytes.
    #[error("the id is {len} bytes long; at most 128 are allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The id holds a control character.
    #[error("the id holds control character U+{code:04X}")]
    ControlCharacter {
        /// The character's code point.
        code: u32,
    },
    /// The id starts or ends with whitespace (two spellings of one id).
    #[error("the id starts or ends with whitespace")]
    SurroundingWhitespace,
}

/// Longest id in bytes.
pub const MAX_ID_BYTES: usize = 128;

pub(crate) fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong { len: s.len() });
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(IdError::ControlCharacter { code: u32::from(c) });
    }
    if s.trim() != s {
        return Err(IdError::SurroundingWhitespace);
    }
    Ok(())
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Non-empty, at most 128 bytes, no control characters and no
        /// surrounding whitespace; serde goes through the same check.
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            /// Check and wrap an id.
            ///
            /// # Errors
            ///
            /// An [`IdError`] when the text is empty, longer than 128 bytes,
            /// holds a control character or surrounding whitespace.
            pub fn new(id: impl Into<String>) -> Result<Self, $crate::ids::IdError> {
                let id = id.into();
                $crate::ids::check_id(&id)?;
                Ok($name(id.into()))
            }

            /// An id the crate built itself from text that passes the
            /// check by construction (a digest, a prefix and a number).
            #[allow(dead_code)]
            pub(crate) fn from_checked(id: String) -> Self {
                debug_assert!($crate::ids::check_id(&id).is_ok());
                $name(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ids::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::ids::IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::ids::IdError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.as_ref().to_owned()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_newtype!(
    /// The account that sends mail: a customer of the platform.
    TenantId
);
id_newtype!(
    /// One mailing list or topic of a tenant.
    ListId
);

/// Where a suppression applies. Its JSON form names its parts:
/// `{"kind":"global"}`, `{"kind":"tenant","tenant":"acme"}`,
/// `{"kind":"list","tenant":"acme","list":"news"}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "ScopeRepr", into = "ScopeRepr")]
pub enum Scope {
    /// Every tenant and list (hard bounces, soft-bounce streaks).
    Global,
    /// Every list of one tenant (complaints, tenant-wide opt-outs).
    Tenant(TenantId),
    /// One list of one tenant (list opt-outs).
    List(TenantId, ListId),
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum ScopeRepr {
    Global,
    Tenant { tenant: TenantId },
    List { tenant: TenantId, list: ListId },
}

impl From<ScopeRepr> for Scope {
    fn from(r: ScopeRepr) -> Self {
        match r {
            ScopeRepr::Global => Scope::Global,
            ScopeRepr::Tenant { tenant } => Scope::Tenant(tenant),
            ScopeRepr::List { tenant, list } => Scope::List(tenant, list),
        }
    }
}

impl From<Scope> for ScopeRepr {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Global => ScopeRepr::Global,
            Scope::Tenant(tenant) => ScopeRepr::Tenant { tenant },
            Scope::List(tenant, list) => ScopeRepr::List { tenant, list },
        }
    }
}

impl Scope {
    /// Whether mail from `tenant` on `list` falls under this scope.
    pub fn covers(&self, tenant: &TenantId, list: &ListId) -> bool {
        match self {
            Scope::Global => true,
            Scope::Tenant(t) => t == tenant,
            Scope::List(t, l) => t == tenant && l == list,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Tenant(t) => write!(f, "tenant `{t}`"),
            Scope::List(t, l) => write!(f, "list `{l}` of tenant `{t}`"),
        }
    }
}

id_newtype!(
    /// The host's id for one event. A webhook delivered twice carries the
    /// same id and is applied once.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_covers() {
        let t = TenantId::new("t").unwrap();
        let u = TenantId::new("u").unwrap();
        let l = ListId::new("l").unwrap();
        let m = ListId::new("m").unwrap();
        assert!(Scope::Global.covers(&u, &m));
        assert!(Scope::Tenant(t.clone()).covers(&t, &m));
        assert!(!Scope::Tenant(t.clone()).covers(&u, &l));
        assert!(Scope::List(t.clone(), l.clone()).covers(&t, &l));
        assert!(!Scope::List(t.clone(), l).covers(&t, &m));
    }
}
