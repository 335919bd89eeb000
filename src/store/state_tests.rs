//! Every stored state round-trips through its word and through the
//! database; a word no variant owns fails the load instead of defaulting.

use super::notify::DeliveryState;
use super::offers::OfferStatus;
use super::outbox::{OutboxAction, OutboxState};
use super::shops::PlatformKind;
use super::AnyConnection;
use crate::domain::campaign::TriggerKind;
use crate::domain::claim::{CancelledBy, ClaimStatus, EntryKind};
use crate::domain::event::{EventKind, EventSource};
use crate::domain::lots::ExpiryKind;
use crate::domain::notify::EventType;
use crate::domain::program::{Channel, PurchaseType};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;

fn memory() -> AnyConnection {
    AnyConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite"))
}

macro_rules! round_trips {
    ($conn:expr, $($state:ty),+) => {$(
        for state in <$state>::ALL {
            assert_eq!(<$state>::from_stored(state.as_str()), Some(*state));
            let loaded: $state = diesel::select(state.into_sql::<Text>()).get_result($conn).expect("load");
            assert_eq!(loaded, *state, "{} {state}", <$state>::WHAT);
        }
        let words: std::collections::HashSet<&str> = <$state>::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words.len(), <$state>::ALL.len(), "{}: one word per variant", <$state>::WHAT);
        let unknown = diesel::select(sql::<Text>("'no such state'")).get_result::<$state>($conn);
        // diesel keeps our message as the error's source: Debug shows it.
        let message = format!("{:?}", unknown.expect_err("an unknown word must not load"));
        assert!(message.contains(<$state>::WHAT) && message.contains("no such state"), "{message}");
    )+};
}

#[test]
fn every_stored_state_round_trips_and_an_unknown_word_is_an_error() {
    let conn = &mut memory();
    round_trips!(
        conn,
        ClaimStatus,
        CancelledBy,
        EntryKind,
        Channel,
        PurchaseType,
        OutboxAction,
        OutboxState,
        PlatformKind,
        OfferStatus,
        DeliveryState,
        ExpiryKind,
        TriggerKind,
        EventKind,
        EventSource,
        EventType
    );
}
