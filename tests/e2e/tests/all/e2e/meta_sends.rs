//! Sending as Meta really answers, in the real app: a template with a picture header and a
//! URL button (picture from the library, the link's ending typed) previewed and sent; Meta
//! pausing a template takes it out of the open picker; a text the simulator takes and then
//! fails with 131047 offers "Send a template", which opens the picker; a text to a phone
//! WhatsApp cannot reach fails with 131026 and "Send by SMS" texts it; a PDF from the Expand
//! menu reaches the guest with its name; the guest phone page shows the template's picture
//! and buttons and the PDF's name.

use multiline_e2e::App;
use serde_json::json;

/// Ana Silva's WhatsApp id and number (a demo contact with consent, her window open).
const ANA: &str = "12025550147";
const ANA_NUMBER: &str = "+12025550147";

#[tokio::test]
async fn templates_with_media_late_failures_and_documents_in_the_real_app() -> anyhow::Result<()> {
    multiline_e2e::run("meta-sends", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    let whatsapp = format!("{}[data-channel='whatsapp']", app.ids.css("threadRow"));
    app.click_text(&whatsapp, "Ana Silva").await?;
    app.wait_for("threadView").await?;

    template_with_a_picture_and_a_link(app).await?;
    paused_leaves_the_picker(app).await?;
    window_closed_at_meta(app).await?;
    not_on_whatsapp(app).await?;
    a_document(app).await?;
    on_the_guest_phone(app).await?;
    Ok(())
}

/// The demo's guest phone page, as Ana: the template with its header picture and its
/// buttons, and the PDF with its name.
async fn on_the_guest_phone(app: &App) -> anyhow::Result<()> {
    app.driver.goto(&app.sim.guest_url()).await?;
    app.wait_for_text("#guest option", "Ana Silva").await?;
    app.driver
        .find(fantoccini::Locator::Css("#guest"))
        .await?
        .select_by_label("Ana Silva")
        .await?;
    app.wait_for_css("[data-testid='guest-template-header']")
        .await?;
    multiline_e2e::within(
        multiline_e2e::WAIT,
        "the header picture to show on the guest phone",
        async {
            loop {
                let loaded = app
                    .driver
                    .execute(
                        "const img = document.querySelector(\"[data-testid='guest-template-header']\");
                         return !!img && img.complete && img.naturalWidth > 0;",
                        vec![],
                    )
                    .await?;
                if loaded.as_bool() == Some(true) {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        },
    )
    .await?;
    app.wait_for_text("[data-testid='guest-template-button']", "Book now")
        .await?;
    app.wait_for_text("[data-testid='guest-document']", "invoice.pdf")
        .await?;
    app.screenshot("28-guest-phone").await?;
    Ok(())
}

fn slot(app: &App, part: &str, key: &str) -> String {
    format!(
        "[data-testid='{}-{part}-{key}']",
        app.ids.id("templateSlot")
    )
}

async fn open_picker(app: &App) -> anyhow::Result<()> {
    app.click("expandButton").await?;
    app.wait_for("expandMenu").await?;
    app.click("menuTemplate").await?;
    app.wait_for("templatePicker").await?;
    Ok(())
}

async fn close_picker(app: &App) -> anyhow::Result<()> {
    app.wait_for("templatePicker")
        .await?
        .send_keys(&fantoccini::key::Key::Escape.to_string())
        .await?;
    app.wait_gone(&app.ids.css("templatePicker")).await
}

async fn template_with_a_picture_and_a_link(app: &App) -> anyhow::Result<()> {
    open_picker(app).await?;
    app.wait_for("templateSearch")
        .await?
        .send_keys("summer")
        .await?;
    let option = format!(
        "{}[data-template-name='summer_sale']",
        app.ids.css("templateOption")
    );
    app.wait_for_css(&option).await?.click().await?;
    // The header's picture from the library: the chooser's answer is the input's value.
    let photo = multiline_e2e::root().join("crates/wa-sim/samples/photo.jpg");
    app.wait_for("templatePictureInput")
        .await?
        .send_keys(&photo.display().to_string())
        .await?;
    app.wait_for_css(&format!("{} img", slot(app, "header", "media")))
        .await?;
    let field = format!(
        "{}[data-part='body'][data-key='1']",
        app.ids.css("templateField")
    );
    app.wait_for_css(&field).await?.send_keys("Ana").await?;
    app.wait_for_css(&slot(app, "button", "0"))
        .await?
        .send_keys("ana-2026")
        .await?;
    app.wait_for_css(&slot(app, "button", "1"))
        .await?
        .send_keys("SUMMER20")
        .await?;
    app.wait_for("templatePreviewHeader").await?;
    app.wait_for_text(&app.ids.css("templatePreviewButtons"), "Book now")
        .await?;
    app.wait_for_text(
        &app.ids.css("templatePreview"),
        "Hi Ana, our summer sale is on",
    )
    .await?;
    app.screenshot("20-template-picture-and-link").await?;
    app.click("templateSend").await?;

    let got = app.sim.wait_received_template(ANA, "summer_sale").await?;
    let components = &got["request"]["template"]["components"];
    assert_eq!(components[0]["type"], "header");
    assert!(
        components[0]["parameters"][0]["image"]["id"].is_string(),
        "the picture went by the id its upload answered: {components}"
    );
    assert_eq!(
        components[2],
        json!({ "type": "button", "sub_type": "url", "index": "0",
                "parameters": [{ "type": "text", "text": "ana-2026" }] })
    );
    assert_eq!(
        got["buttons"][0], "Book now",
        "the guest phone shows the button"
    );
    app.wait_for("messageTemplateHeader").await?;
    app.wait_for_text(&app.ids.css("messageTemplateButtons"), "Book now")
        .await?;
    app.screenshot("21-template-sent").await?;
    Ok(())
}

async fn paused_leaves_the_picker(app: &App) -> anyhow::Result<()> {
    open_picker(app).await?;
    let row = |status: &str| {
        format!(
            "[data-testid='{}-summer_sale'][data-status='{status}']",
            app.ids.id("templateRow")
        )
    };
    app.wait_for_css(&row("APPROVED")).await?;
    // Meta pauses it while the picker is open: it is no longer offered.
    app.sim
        .control(
            "/control/templates/summer_sale/status",
            json!({ "status": "PAUSED" }),
        )
        .await?;
    app.wait_for_css(&row("PAUSED")).await?;
    let option = format!(
        "{}[data-template-name='summer_sale']",
        app.ids.css("templateOption")
    );
    assert!(
        !app.wait_for_css(&option).await?.is_enabled().await?,
        "a paused template cannot be picked"
    );
    app.screenshot("22-template-paused").await?;
    close_picker(app).await
}

async fn send(app: &App, text: &str) -> anyhow::Result<()> {
    app.wait_for("composerInput").await?.send_keys(text).await?;
    app.click("composerSend").await
}

async fn window_closed_at_meta(app: &App) -> anyhow::Result<()> {
    // Meta's record of Ana's last message is older than the connector's: its 24-hour rule
    // refuses what the connector let through, after accepting it.
    app.sim
        .control(
            &format!("/control/guests/{ANA}/last-message"),
            json!({ "hours_ago": 25 }),
        )
        .await?;
    send(app, "Your car is ready for pickup.").await?;
    let failed = format!("{}[data-state='failed']", app.ids.css("messageBubble"));
    app.wait_for_text(&failed, "24 hours have passed").await?;
    app.wait_for("failedSendTemplate").await?;
    app.screenshot("23-failed-send-a-template").await?;
    app.click("failedSendTemplate").await?;
    app.wait_for("templatePicker").await?;
    close_picker(app).await?;
    // Ana writes: the window is open on both sides again.
    app.sim.guest_sends(ANA, "Thanks! On my way.").await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, "On my way").await?;
    Ok(())
}

async fn not_on_whatsapp(app: &App) -> anyhow::Result<()> {
    app.sim
        .control(
            &format!("/control/guests/{ANA}/reachable"),
            json!({ "reachable": false }),
        )
        .await?;
    let text = "Can you call us back today?";
    send(app, text).await?;
    app.wait_for("failedSendSms").await?;
    app.screenshot("24-failed-send-by-sms").await?;
    app.click("failedSendSms").await?;
    app.wait_for_css(&format!(
        "{}[data-channel='sms']",
        app.ids.css("threadView")
    ))
    .await?;
    app.sim.wait_texted(ANA_NUMBER, text).await?;
    // Its row in the list shows it, as any message sent.
    let sms_row = format!("{}[data-channel='sms']", app.ids.css("threadRow"));
    app.wait_for_text(&sms_row, text).await?;
    app.screenshot("25-sent-by-sms").await?;
    app.sim
        .control(
            &format!("/control/guests/{ANA}/reachable"),
            json!({ "reachable": true }),
        )
        .await?;
    // Back to her WhatsApp thread.
    app.click("navMessages").await?;
    let whatsapp = format!("{}[data-channel='whatsapp']", app.ids.css("threadRow"));
    app.click_text(&whatsapp, "Ana Silva").await?;
    app.wait_for("threadView").await?;
    Ok(())
}

async fn a_document(app: &App) -> anyhow::Result<()> {
    app.click("expandButton").await?;
    app.wait_for("menuDocument").await?;
    // Close the menu, then hand the input the file as the chooser would.
    app.click("expandButton").await?;
    let pdf = multiline_e2e::root().join("crates/wa-sim/samples/invoice.pdf");
    app.wait_for("documentInput")
        .await?
        .send_keys(&pdf.display().to_string())
        .await?;
    app.wait_for_text(&app.ids.css("documentName"), "invoice.pdf")
        .await?;
    app.wait_for("documentCaption")
        .await?
        .send_keys("Your invoice")
        .await?;
    app.screenshot("26-document-composer").await?;
    app.click("documentSend").await?;
    let got = multiline_e2e::within(multiline_e2e::WAIT, "the guest to receive the PDF", async {
        loop {
            let received = app.sim.received(ANA).await?;
            if let Some(m) = received.into_iter().find(|m| m["type"] == "document") {
                return Ok(m);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await?;
    assert_eq!(got["request"]["document"]["filename"], "invoice.pdf");
    assert_eq!(got["request"]["document"]["caption"], "Your invoice");
    app.wait_for_text(&app.ids.css("messageDocument"), "invoice.pdf")
        .await?;
    app.screenshot("27-document-sent").await?;
    Ok(())
}
