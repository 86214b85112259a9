//! F7-F9 in the real app: the thread counts down its free messaging, on the demo's clock;
//! within the hour it is "Closing soon" at the top of Messages; 24 hours after the last
//! message the free-form composer closes with the expiry notice, whose "Choose a template"
//! opens the Template tool, and the draft typed before is offered as the closest template
//! (the guest's name filled); sent, it restarts the conversation, and once the guest answers,
//! free messaging resumes. The demo's clock is moved, never waited for.

use std::time::Duration;

use multiline_e2e::App;

/// Ana Silva: consented, wrote two hours before the demo started.
const ANA: &str = "12025550147";
const EXPIRED: &str = "24 hours have passed; restart the conversation with a template message.";

#[tokio::test]
async fn expiry_then_template_then_the_conversation_resumes_in_the_real_app() -> anyhow::Result<()>
{
    multiline_e2e::run("window-expiry", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ana Silva")
        .await?;
    app.click("whatsappButton").await?;
    app.wait_for("threadView").await?;
    wait_enabled(app, "composerInput", true).await?;
    // She wrote two hours before the demo started: some 21 h 59 min of free messaging left.
    app.wait_for_text(&app.ids.css("windowCountdown"), "Free messaging for 21 h")
        .await?;
    app.wait_for_text(&app.ids.css("headerCountdown"), "21 h")
        .await?;
    assert_eq!(app.count(&app.ids.css("closingSoon")).await?, 0);

    // 21 hours later (the demo's clock): under an hour left, and it moves without a message.
    app.sim
        .advance_clock(Duration::from_secs(21 * 3600))
        .await?;
    // (Waited for, not read at once: the clock's move reaches the screen a moment later, and
    // "21 h 59 min left" already has " min left" in it.)
    let countdown = app
        .wait_for_text(&app.ids.css("windowCountdown"), "Free messaging for 5")
        .await?
        .text()
        .await?;
    assert!(countdown.ends_with(" min"), "{countdown}");
    let header = app
        .wait_for_text(&app.ids.css("headerCountdown"), "· 5")
        .await?
        .text()
        .await?;
    assert!(header.ends_with(" min left"), "{header}");
    // "Closing soon" at the top of Messages, with her in it.
    app.wait_for_text(&app.ids.css("closingSoon"), "Ana Silva")
        .await?;
    app.screenshot("07-closing-soon").await?;
    // A draft typed, not sent, before the window closes.
    let draft = "About your appointment on Friday: could we move it to 3 pm?";
    app.wait_for("composerInput")
        .await?
        .send_keys(draft)
        .await?;

    // A few hours more and the window is closed, on screen, without any message.
    app.sim.advance_clock(Duration::from_secs(4 * 3600)).await?;
    app.wait_for_text(&app.ids.css("composerNotice"), EXPIRED)
        .await?;
    wait_enabled(app, "composerInput", false).await?;
    app.wait_gone(&app.ids.css("windowCountdown")).await?;
    app.wait_gone(&app.ids.css("closingSoon")).await?;
    app.screenshot("07-window-expired").await?;

    // "Choose a template", in the notice, opens the Template tool.
    app.click("chooseTemplate").await?;
    app.wait_for("templatePicker").await?;
    // Esc closes it (WebDriver's key code for Escape).
    app.driver
        .active_element()
        .await?
        .send_keys("\u{E00C}")
        .await?;
    app.wait_gone(&app.ids.css("templatePicker")).await?;

    // The stranded draft is offered as the template closest to it, Ana's name filled in.
    let suggestion = format!(
        "{}[data-template-name='appointment_reminder']",
        app.ids.css("templateSuggestion")
    );
    app.click_css(&suggestion).await?;
    let field = |key: &str| {
        format!(
            "{}[data-part='body'][data-key='{key}']",
            app.ids.css("templateField")
        )
    };
    let name = app.wait_for_css(&field("1")).await?;
    assert_eq!(name.prop("value").await?.as_deref(), Some("Ana"));
    app.wait_for_css(&field("2"))
        .await?
        .send_keys("Friday at 3 pm")
        .await?;
    app.screenshot("07b-draft-as-template").await?;
    wait_enabled(app, "templateSend", true).await?;
    app.click("templateSend").await?;
    let sent = app
        .sim
        .wait_received_template(ANA, "appointment_reminder")
        .await?;
    let params = &sent["request"]["template"]["components"][0]["parameters"];
    assert_eq!(params[0]["text"], "Ana");

    // Ana answers; free messaging is back.
    app.sim.guest_sends(ANA, "Sure, go ahead").await?;
    app.wait_for_text(
        &format!("{}[data-direction='inbound']", app.ids.css("messageBubble")),
        "Sure, go ahead",
    )
    .await?;
    wait_enabled(app, "composerInput", true).await?;
    // The draft went out as the template: the field is empty again.
    assert_eq!(
        app.wait_for("composerInput")
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("")
    );
    let text = "Great, your car is ready. See you Friday!";
    app.wait_for("composerInput").await?.send_keys(text).await?;
    app.click("composerSend").await?;
    app.sim.wait_received(ANA, text).await?;
    app.screenshot("08-conversation-resumed").await?;
    Ok(())
}

/// Waits until the element with test id `key` is enabled (`true`) or disabled (`false`).
async fn wait_enabled(app: &App, key: &str, enabled: bool) -> anyhow::Result<()> {
    tokio::time::timeout(multiline_e2e::WAIT, async {
        loop {
            if app.wait_for(key).await?.is_enabled().await? == enabled {
                return anyhow::Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "{key} never became {}",
            if enabled { "enabled" } else { "disabled" }
        )
    })?
}
