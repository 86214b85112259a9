//! Typed identifiers. All are UUIDv7 (time-ordered, so they index well) and cross every
//! boundary (HTTP, IPC, TypeScript) as strings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[ts(export)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh identifier, time-ordered by the system's notion of now.
            pub fn random() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization (a business) using the connector.
    OrganizationId
);
id_type!(
    /// A MultiLine user: an employee of the organization.
    UserId
);
id_type!(
    /// A contact in the organization's address book.
    ContactId
);
id_type!(
    /// A conversation between one business line and one guest.
    ThreadId
);
id_type!(
    /// A message as the connector knows it.
    MessageId
);
id_type!(
    /// The id the app gives a message before any network call; the connector's idempotency key.
    ClientMessageId
);
id_type!(
    /// A picture stored by the connector (uploaded by a user or received from a guest).
    MediaId
);
