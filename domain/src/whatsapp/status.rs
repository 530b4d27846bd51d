//! The delivery status of an outbound message and how updates merge.
//!
//! Meta delivers status webhooks duplicated and out of order (Meta's webhooks overview: deliveries are retried and may repeat or arrive out of order). A
//! message's status only ever moves up the ladder `pending < sent < delivered < read <
//! played`; `failed` ends a message that has not been delivered, and a late `failed`
//! after delivery is ignored (the customer has the message).

use serde::{Deserialize, Serialize};

/// Where an outbound message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Stored and queued; not yet accepted by Meta.
    Pending,
    /// Accepted by WhatsApp's servers.
    Sent,
    /// On the customer's phone.
    Delivered,
    /// Opened by the customer.
    Read,
    /// A voice message was played.
    Played,
    /// Could not be delivered; carries an error code on the message.
    Failed,
}

impl MessageStatus {
    /// Every status.
    pub const ALL: [MessageStatus; 6] = [Self::Pending, Self::Sent, Self::Delivered, Self::Read, Self::Played, Self::Failed];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored or webhook status name; unknown names are `None` (ignored).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Sent => 1,
            Self::Failed => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Played => 4,
        }
    }

    /// The status after `update` arrives for a message that is at `self`. Never goes
    /// backwards; `failed` is terminal, and wins over `pending` and `sent` only (a late
    /// `failed` after delivery is an anomaly and is ignored).
    pub fn merge(self, update: MessageStatus) -> MessageStatus {
        use MessageStatus::*;
        match (self, update) {
            (Failed, _) => Failed,
            (Pending | Sent, Failed) => Failed,
            (_, Failed) => self,
            (cur, new) if new.rank() > cur.rank() => new,
            (cur, _) => cur,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::{self, *};

    fn fold(start: MessageStatus, updates: &[MessageStatus]) -> MessageStatus {
        updates.iter().fold(start, |s, u| s.merge(*u))
    }

    /// All orderings of a slice (small n).
    fn permutations(v: &[MessageStatus]) -> Vec<Vec<MessageStatus>> {
        if v.len() <= 1 {
            return vec![v.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..v.len() {
            let mut rest = v.to_vec();
            let x = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, x);
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn statuses_never_go_backwards_whatever_the_arrival_order() {
        for order in permutations(&[Sent, Delivered, Read]) {
            assert_eq!(fold(Pending, &order), Read, "{order:?}");
        }
    }

    #[test]
    fn duplicates_change_nothing() {
        assert_eq!(fold(Pending, &[Sent, Sent, Delivered, Delivered, Sent]), Delivered);
    }

    #[test]
    fn read_without_delivered_is_read() {
        assert_eq!(fold(Pending, &[Read, Sent]), Read);
    }

    #[test]
    fn failed_ends_an_undelivered_message_in_any_order() {
        for order in permutations(&[Sent, Failed]) {
            assert_eq!(fold(Pending, &order), Failed, "{order:?}");
        }
    }

    #[test]
    fn a_late_failed_after_delivery_is_ignored_and_failed_is_terminal() {
        assert_eq!(Read.merge(Failed), Read);
        assert_eq!(Delivered.merge(Failed), Delivered);
        assert_eq!(Failed.merge(Read), Failed);
        assert_eq!(Failed.merge(Sent), Failed);
    }

    #[test]
    fn names_round_trip() {
        for s in MessageStatus::ALL {
            assert_eq!(MessageStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(MessageStatus::parse("deleted"), None);
    }
}
