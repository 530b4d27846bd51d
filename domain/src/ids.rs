//! Typed identifiers. Ids are stored as UUID text so that the same column type works on
//! SQLite and PostgreSQL; the newtypes stop an `OrgId` being passed where a `UserId` goes.
//! With the `sqlx` feature (backend only) they decode straight from database rows.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from storage or from a URL. Ids are opaque: an unknown id
            /// simply matches nothing, so no further validation is needed here.
            pub fn from_string(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Decodes from a TEXT column of a sqlx `Any` row: a non-text value is a decode
        /// error (`Err`), never a panic.
        #[cfg(feature = "sqlx")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                <String as sqlx::Decode<'r, sqlx::Any>>::decode(value).map(Self)
            }
        }
    };
}

id_type!(
    /// An organisation (tenant). Every row of business data belongs to one.
    OrgId
);
id_type!(
    /// A person who can sign in; a member of one or more orgs.
    UserId
);
id_type!(
    /// An API key of an org, used for `Authorization: Bearer` on `/api/v1/*`.
    ApiKeyId
);
id_type!(
    /// A WhatsApp business number connected to an org (or its sandbox number).
    NumberId
);
id_type!(
    /// A contact (lead or customer) of an org.
    ContactId
);
id_type!(
    /// A conversation between one business number and one contact.
    ConversationId
);
id_type!(
    /// A message, inbound or outbound.
    MessageId
);
