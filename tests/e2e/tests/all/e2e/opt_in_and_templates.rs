//! F4-F6 and F14-F15 in the real app: the first WhatsApp message to a contact is the opt-in
//! request, the thread waits for consent, the guest's "Yes" unlocks the composer live, and a
//! template goes out from the Expand '+' menu with its variables filled.

use multiline_e2e::App;

/// Ben Carter: a demo contact who has never been asked for consent.
const BEN: &str = "447911123456";

#[tokio::test]
async fn opt_in_consent_then_text_and_template_in_the_real_app() -> anyhow::Result<()> {
    multiline_e2e::run("opt-in", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // Tapping WhatsApp for a contact without consent asks to send the opt-in message.
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ben Carter")
        .await?;
    app.click("whatsappButton").await?;
    app.wait_for("optInDialog").await?;
    app.screenshot("03-opt-in-dialog").await?;

    // Cancelled: no WhatsApp conversation with Ben exists (his SMS thread is another).
    app.click("optInCancel").await?;
    app.wait_gone(&app.ids.css("optInDialog")).await?;
    app.click("navMessages").await?;
    app.wait_for("threadList").await?;
    app.wait_for_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    let whatsapp_rows = format!("{}[data-channel='whatsapp']", app.ids.css("threadRow"));
    let rows = app.texts(&whatsapp_rows).await?;
    assert!(
        !rows.iter().any(|r| r.contains("Ben Carter")),
        "cancelling left a conversation: {rows:?}"
    );

    // Asked again, and confirmed: the thread opens with the request.
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ben Carter")
        .await?;
    app.click("whatsappButton").await?;
    app.click("optInConfirm").await?;
    let opt_in = app.sim.wait_received_template(BEN, "optin_request").await?;
    assert_eq!(opt_in["type"], "template");
    assert_eq!(
        opt_in["request"]["template"]["components"][0]["parameters"][0]["text"],
        "Ben"
    );

    // The thread waits for consent; the composer says why.
    let waiting = format!("{}[data-consent='requested']", app.ids.css("consentNotice"));
    app.wait_for_css(&waiting).await?;
    let input = app.wait_for("composerInput").await?;
    assert!(
        !input.is_enabled().await?,
        "the composer is locked until the guest consents"
    );
    app.screenshot("04-waiting-for-consent").await?;

    // Ben answers "No": still no consent, and no second request for 24 hours.
    app.sim.guest_sends(BEN, "No").await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, "No").await?;
    app.wait_for_css(&waiting).await?;
    assert_eq!(app.count(&app.ids.css("askConsent")).await?, 0);
    // A day later (the demo's clock) the thread offers to ask again.
    app.sim
        .advance_clock(std::time::Duration::from_secs(25 * 3600))
        .await?;
    app.wait_for_text(&app.ids.css("consentNotice"), "You can ask again.")
        .await?;
    app.screenshot("04b-ask-again").await?;
    app.click("askConsent").await?;
    app.click("optInConfirm").await?;
    multiline_e2e::within(multiline_e2e::WAIT, "the second opt-in request", async {
        loop {
            let requests = app.sim.received(BEN).await?;
            let optins = requests
                .iter()
                .filter(|r| r["request"]["template"]["name"] == "optin_request")
                .count();
            if optins == 2 {
                return anyhow::Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await?;

    // Ben replies "Yes": the composer unlocks without a reload.
    app.sim.guest_sends(BEN, "Yes").await?;
    app.wait_for_text(&inbound, "Yes").await?;
    wait_enabled(app, "composerInput").await?;
    let text = "Thank you, Ben! Your service is booked.";
    app.wait_for("composerInput").await?.send_keys(text).await?;
    app.click("composerSend").await?;
    app.sim.wait_received(BEN, text).await?;

    // A template from the Expand '+' menu, its variables filled in their fields.
    app.click("expandButton").await?;
    app.wait_for("expandMenu").await?;
    app.click("menuTemplate").await?;
    app.wait_for("templatePicker").await?;
    let option = format!(
        "{}[data-template-name='appointment_reminder']",
        app.ids.css("templateOption")
    );
    app.wait_for_css(&option).await?.click().await?;
    let field = |key: &str| {
        format!(
            "{}[data-part='body'][data-key='{key}']",
            app.ids.css("templateField")
        )
    };
    app.wait_for_css(&field("1"))
        .await?
        .send_keys("Ben")
        .await?;
    app.wait_for_css(&field("2"))
        .await?
        .send_keys("Friday at 3 pm")
        .await?;
    app.wait_for_text(
        &app.ids.css("templatePreview"),
        "Hi Ben, this is a reminder of your appointment on Friday at 3 pm.",
    )
    .await?;
    app.screenshot("05-template-picker").await?;
    wait_enabled(app, "templateSend").await?;
    app.click("templateSend").await?;
    let sent = app
        .sim
        .wait_received_template(BEN, "appointment_reminder")
        .await?;
    let params = &sent["request"]["template"]["components"][0]["parameters"];
    assert_eq!(params[1]["text"], "Friday at 3 pm");
    let bubble = format!(
        "{}[data-direction='outbound']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&bubble, "reminder of your appointment on Friday at 3 pm")
        .await?;
    app.screenshot("06-template-sent").await?;

    // Contact Details says so, and keeps the evidence: both requests and the "Yes".
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ben Carter")
        .await?;
    app.wait_for_text(&app.ids.css("consentStanding"), "by replying \"Yes\"")
        .await?;
    app.click("consentRecordButton").await?;
    app.wait_for("consentRecord").await?;
    assert_eq!(app.count(&app.ids.css("consentRequestItem")).await?, 2);
    app.wait_for_text(&app.ids.css("consentReply"), "Yes")
        .await?;
    app.screenshot("06b-consent-record").await?;

    // Saved as JSON through the system's save dialog: the evidence, as a file.
    let dir = tempfile::tempdir()?;
    let saved = dir.path().join("consent-ben.json");
    app.click("consentSaveJson").await?;
    multiline_e2e::answer_save_dialog(&saved).await?;
    let record: serde_json::Value =
        multiline_e2e::within(multiline_e2e::WAIT, "the consent record saved", async {
            loop {
                if let Ok(text) = std::fs::read_to_string(&saved)
                    && let Ok(json) = serde_json::from_str(&text)
                {
                    return anyhow::Ok(json);
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
        .await?;
    assert_eq!(record["contact_name"], "Ben Carter");
    assert_eq!(record["number"], "+447911123456");
    assert_eq!(record["consent"]["state"], "granted");
    assert_eq!(record["requests"].as_array().map(Vec::len), Some(2));
    assert_eq!(record["reply"]["text"], "Yes");
    assert_eq!(record["exported_by"]["name"], "Alex Morgan");
    Ok(())
}

/// Waits until the element with test id `key` is enabled.
async fn wait_enabled(app: &App, key: &str) -> anyhow::Result<()> {
    tokio::time::timeout(multiline_e2e::WAIT, async {
        loop {
            if app.wait_for(key).await?.is_enabled().await? {
                return anyhow::Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("{key} stayed disabled"))?
}
