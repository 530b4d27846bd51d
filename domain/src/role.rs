//! Member roles and what each may do. The checks live here, not in handlers, so that
//! every entry point asks the same question the same way.

use serde::{Deserialize, Serialize};

/// A member's role in one org, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Created the org; like admin, and cannot be demoted or removed by an admin.
    Owner,
    /// Full access to the org: settings, numbers, members.
    Admin,
    /// Runs campaigns, flows and templates; sees every conversation.
    Manager,
    /// Answers conversations in the inbox.
    Agent,
    /// Reads everything the org shares, changes nothing.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Manager, Role::Agent, Role::Viewer];

    /// The stored and wire name (`owner`, `admin`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Agent => "Agent",
            Role::Viewer => "Viewer",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim().to_lowercase())
    }

    fn rank(self) -> u8 {
        match self {
            Role::Owner => 4,
            Role::Admin => 3,
            Role::Manager => 2,
            Role::Agent => 1,
            Role::Viewer => 0,
        }
    }

    /// True when this role has at least the powers of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    /// Owners and admins manage the org: profile, members, API keys, numbers.
    pub fn is_admin(self) -> bool {
        self.at_least(Role::Admin)
    }

    /// Whether a member with this role may give `target` to someone, or change or remove
    /// a member who has `target`. Only owners touch owners.
    pub fn may_manage(self, target: Role) -> bool {
        self.is_admin() && (self == Role::Owner || target != Role::Owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("ADMIN"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_owners_and_admins_are_admins() {
        assert!(Role::Owner.is_admin());
        assert!(Role::Admin.is_admin());
        assert!(!Role::Manager.is_admin());
        assert!(!Role::Agent.is_admin());
        assert!(!Role::Viewer.is_admin());
    }

    #[test]
    fn admins_manage_everyone_but_owners() {
        assert!(Role::Admin.may_manage(Role::Agent));
        assert!(Role::Admin.may_manage(Role::Admin));
        assert!(!Role::Admin.may_manage(Role::Owner));
        assert!(Role::Owner.may_manage(Role::Owner));
        assert!(!Role::Agent.may_manage(Role::Viewer));
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Manager.at_least(Role::Agent));
        assert!(!Role::Viewer.at_least(Role::Agent));
        assert_eq!(serde_json::to_string(&Role::Agent).unwrap(), "\"agent\"");
    }
}
