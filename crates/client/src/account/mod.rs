//! The account: which connector, who is signed in, and the session token kept in the OS
//! keychain.

mod url;

pub use url::connector_url;
