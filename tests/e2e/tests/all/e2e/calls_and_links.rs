//! The call icon and WhatsApp's policy links (consent, the 24-hour window), in the real app,
//! handed to the system: the system's `xdg-open` and `xdg-mime` are stand-ins on the app's
//! PATH, the first recording what it was asked to open, the second answering whether a `tel:`
//! handler is registered (none at first, then one).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use multiline_e2e::{App, within};

/// Ben Carter: a demo contact who has never been asked for consent.
const BEN: &str = "+447911123456";

#[tokio::test]
async fn the_call_icon_dials_or_says_how_and_the_policy_opens_in_the_browser() -> anyhow::Result<()>
{
    let tools = tempfile::tempdir()?;
    let opened = tools.path().join("opened.log");
    let dialer = tools.path().join("dialer-registered");
    multiline_e2e::stand_in(
        tools.path(),
        "xdg-open",
        &format!("printf '%s\\n' \"$1\" >> '{}'", opened.display()),
    )?;
    // `xdg-mime query default x-scheme-handler/tel`: a desktop file's name, or nothing.
    multiline_e2e::stand_in(
        tools.path(),
        "xdg-mime",
        &format!(
            "[ \"$3\" = x-scheme-handler/tel ] && [ -e '{}' ] && echo softphone.desktop; exit 0",
            dialer.display()
        ),
    )?;
    let path = multiline_e2e::path_with(tools.path());
    multiline_e2e::run_with("calls-and-links", &[("PATH", &path)], async |app| {
        scenario(app, &opened, &dialer).await
    })
    .await
}

async fn scenario(app: &App, opened: &Path, dialer: &Path) -> anyhow::Result<()> {
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ben Carter")
        .await?;
    app.wait_for("contactDetails").await?;
    let call = format!("{}[data-phone='{BEN}']", app.ids.css("callButton"));

    // No phone app on this computer: the number to call, said, and nothing opened.
    app.click_css(&call).await?;
    app.wait_for_text(
        &app.ids.css("errorBanner"),
        "No app on this computer makes phone calls. Call +44 7911 123456 from your phone.",
    )
    .await?;
    app.screenshot("50-no-dialer").await?;
    assert!(!opened.exists(), "nothing was handed to the system");

    // One registered: the call goes to it.
    std::fs::write(dialer, "")?;
    app.click_css(&call).await?;
    assert_eq!(wait_opened(opened, 1).await?, [format!("tel:{BEN}")]);

    // The opt-in dialog's policy link opens WhatsApp's Business Policy in the browser.
    app.click_css(&format!(
        "{}[data-phone='{BEN}']",
        app.ids.css("whatsappButton")
    ))
    .await?;
    app.wait_for("optInDialog").await?;
    app.click("consentPolicyLink").await?;
    let handed = wait_opened(opened, 2).await?;
    assert_eq!(
        handed[1],
        "https://www.whatsapp.com/legal/business-policy/?lang=en"
    );
    app.wait_for("optInDialog").await?;
    app.screenshot("51-opt-in-policy-link").await?;
    app.click("optInCancel").await?;

    // The 24-hour notice links the same policy: Ana's window, closed a day later.
    app.sim
        .advance_clock(Duration::from_secs(25 * 3600))
        .await?;
    app.click_text(&app.ids.css("contactRow"), "Ana Silva")
        .await?;
    app.click_css(&format!(
        "{}[data-phone='+12025550147']",
        app.ids.css("whatsappButton")
    ))
    .await?;
    app.click("windowPolicyLink").await?;
    let handed = wait_opened(opened, 3).await?;
    assert_eq!(
        handed[2],
        "https://www.whatsapp.com/legal/business-policy/?lang=en"
    );
    app.screenshot("52-window-policy-link").await?;
    Ok(())
}

/// Waits until the stand-in opener has been asked `count` times; its arguments, in order.
async fn wait_opened(log: &Path, count: usize) -> anyhow::Result<Vec<String>> {
    within(
        multiline_e2e::WAIT,
        "the system's opener to be asked",
        async {
            loop {
                if let Ok(text) = std::fs::read_to_string(log) {
                    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
                    if lines.len() >= count {
                        return Ok(lines);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        },
    )
    .await
    .context("the opener's record")
}
