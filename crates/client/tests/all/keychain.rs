//! The keychain against a real Secret Service: `make test` runs this under a private D-Bus
//! session with gnome-keyring unlocked (`scripts/with-keyring.sh`). Not a mock.

use multiline_client::keychain::{Keychain, account};

#[test]
#[ignore = "needs a Secret Service: make test runs it in a private D-Bus session"]
fn tokens_are_stored_read_and_forgotten_in_the_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run through scripts/with-keyring.sh"
    );
    let keychain = Keychain::with_service(&format!(
        "com.multiline.whatsapp.test.{}",
        std::process::id()
    ));
    let alex = account("http://127.0.0.1:8080/", "Alex@Example.com");
    let sam = account("http://127.0.0.1:8080", "sam@example.com");
    assert_eq!(alex, "http://127.0.0.1:8080|alex@example.com");

    assert_eq!(keychain.load(&alex).unwrap(), None);
    keychain.save(&alex, "token-one").unwrap();
    keychain.save(&sam, "token-two").unwrap();
    assert_eq!(keychain.load(&alex).unwrap().as_deref(), Some("token-one"));
    keychain.save(&alex, "token-three").unwrap();
    assert_eq!(
        keychain.load(&alex).unwrap().as_deref(),
        Some("token-three"),
        "replaced, not added"
    );

    keychain.delete(&alex).unwrap();
    assert_eq!(keychain.load(&alex).unwrap(), None);
    assert_eq!(
        keychain.load(&sam).unwrap().as_deref(),
        Some("token-two"),
        "other accounts stay"
    );
    keychain.delete(&sam).unwrap();
    keychain.delete(&sam).unwrap();
}
