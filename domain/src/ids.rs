//! Typed identifiers. Ids are stored as UUID text so that the same column type works on
//! SQLite and PostgreSQL; the newtypes stop an `OrgId` being passed where a `UserId` goes.

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
