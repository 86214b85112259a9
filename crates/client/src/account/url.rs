//! A connector's address, as a user types it on the sign-in screen.

use multiline_domain::errors::ErrorCode;

use crate::{ClientError, Result};

/// A connector's address as a user typed it, checked and normalised: `https://` when no
/// scheme is given, http or https only, a host, no query or fragment, no trailing slash.
pub fn connector_url(input: &str) -> Result<String> {
    let invalid = || ClientError::Invalid {
        code: ErrorCode::InvalidConnectorUrl,
        message: "Enter the connector's address, like https://connector.example.com.".into(),
    };
    let input = input.trim();
    if input.is_empty() {
        return Err(invalid());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|_| invalid())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(invalid());
    }
    if url.scheme() == "http" && !loopback(&url) {
        return Err(ClientError::Invalid {
            code: ErrorCode::InvalidConnectorUrl,
            message: "Use https:// for a connector on another machine: over http your password \
                      and messages would cross the network unencrypted."
                .into(),
        });
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// This machine: `localhost`, 127.0.0.0/8 or `::1` (the demo's connector, a local proxy).
fn loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod url_tests {
    use super::connector_url;
    use multiline_domain::errors::ErrorCode;

    #[test]
    fn connector_addresses_are_checked_and_normalised() {
        let ok = |s: &str| connector_url(s).unwrap();
        assert_eq!(ok("connector.example.com"), "https://connector.example.com");
        assert_eq!(ok(" https://c.example.com/ "), "https://c.example.com");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(ok("http://[::1]:8080"), "http://[::1]:8080");
        assert_eq!(
            ok("https://c.example.com/multiline/"),
            "https://c.example.com/multiline"
        );
        for bad in [
            "",
            "   ",
            "ftp://c.example.com",
            "https://",
            "https://c.example.com/?a=1",
            "https://user:pw@c.example.com",
            "http://exa mple.com",
            // Another machine over http: the password would cross in clear.
            "http://connector.example.com",
            "http://10.0.0.5:8080",
        ] {
            let e = connector_url(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    super::ClientError::Invalid {
                        code: ErrorCode::InvalidConnectorUrl,
                        ..
                    }
                ),
                "{bad:?}: {e:?}"
            );
        }
    }
}
