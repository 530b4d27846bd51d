//! Data shapes that travel between the server and the browser (and the REST API).

use crate::{OrgId, Role, UserId};
use serde::{Deserialize, Serialize};

/// An org as listed in the org switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    /// The signed-in person's role there (`None` for a super admin who is not a member).
    pub role: Option<Role>,
}

/// Who is signed in and where: everything the app shell needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub is_super_admin: bool,
    /// The org the person is working in now.
    pub org: OrgSummary,
    /// The role that applies in `org` (super admins act as owners).
    pub role: Role,
    /// Every org the person can switch to.
    pub orgs: Vec<OrgSummary>,
}

/// An org's profile as shown and edited in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgProfile {
    pub id: OrgId,
    pub name: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// ISO 3166-1 alpha-2 code used to read national phone numbers.
    pub default_country: String,
    /// Epoch milliseconds.
    pub created_at: i64,
}

/// A member of an org as listed in Settings → Members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Epoch milliseconds when the person joined the org.
    pub joined_at: i64,
}
