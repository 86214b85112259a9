//! One inbox for WhatsApp, SMS and voicemail (F22) in the real app, with the simulator
//! playing Twilio: the demo's three channels in the Messages list, a text out and a reply in
//! by SMS, a picture by MMS, a voicemail that arrives live, plays and is marked heard, an SMS thread started
//! from a contact's SMS button, and History and Contact Details listing every channel.

use multiline_e2e::App;

const BEN: &str = "+447911123456";
const ELENA: &str = "+393471234567";

#[tokio::test]
async fn one_inbox_for_whatsapp_sms_and_voicemail() -> anyhow::Result<()> {
    multiline_e2e::run("channels", scenario).await
}

/// The Messages list's rows on `channel`.
fn row(app: &App, channel: &str) -> String {
    format!("{}[data-channel='{channel}']", app.ids.css("threadRow"))
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    let rows = app.ids.css("threadRow");
    // The demo's inbox: Ana on WhatsApp, David's voicemail, Ben's SMS, newest first.
    app.wait_for_text(&row(app, "whatsapp"), "Ana Silva")
        .await?;
    app.wait_for_text(&row(app, "voicemail"), "David Okafor")
        .await?;
    app.wait_for_text(&row(app, "sms"), "Ben Carter").await?;
    let order = app
        .driver
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(r => r.dataset.channel);",
            vec![serde_json::json!(rows)],
        )
        .await?;
    assert_eq!(order, serde_json::json!(["whatsapp", "voicemail", "sms"]));

    // SMS: Ben's question, answered; he replies; all in one thread.
    app.click_text(&rows, "Ben Carter").await?;
    app.wait_for_text(&app.ids.css("threadView"), "SMS · +44 7911 123456")
        .await?;
    assert_eq!(
        app.count(&app.ids.css("expandButton")).await?,
        0,
        "no templates or pictures by SMS"
    );
    let reply = "The brake job comes to $412.50, Ben.";
    app.wait_for("composerInput")
        .await?
        .send_keys(reply)
        .await?;
    app.click("composerSend").await?;
    app.sim.wait_texted(BEN, reply).await?;
    let delivered = format!(
        "{}[data-direction='outbound'][data-state='delivered']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&delivered, reply).await?;
    app.sim
        .guest_texts(BEN, "Thanks! I'll pay when I pick it up.")
        .await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, "I'll pay when I pick it up")
        .await?;
    // A picture by MMS shows as a picture, its words as the caption.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(600, 400, image::Rgb([40, 160, 90]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    app.sim
        .guest_texts_picture(BEN, png, "image/png", "The receipt")
        .await?;
    app.wait_for_css(&format!(
        "{inbound} {}[data-loaded='true']",
        app.ids.css("messagePicture")
    ))
    .await?;
    app.wait_for_text(&inbound, "The receipt").await?;

    // A voicemail arrives live: a new thread on top, its transcript, then played and heard.
    app.sim
        .guest_leaves_voicemail(ELENA, 3, "Hi, it's Elena. Is the car ready for Saturday?")
        .await?;
    app.wait_for_text(&row(app, "voicemail"), "Elena Rossi")
        .await?;
    app.click_text(&rows, "Elena Rossi").await?;
    let voicemail = app.ids.css("voicemail");
    app.wait_for_text(
        &app.ids.css("voicemailTranscript"),
        "Is the car ready for Saturday?",
    )
    .await?;
    app.wait_for_css(&format!("{voicemail}[data-heard='false']"))
        .await?;
    let shot = app.screenshot("30-one-inbox").await?;
    println!("screenshot: {}", shot.display());
    app.check_accessibility("a voicemail").await?;

    app.click("voicemailPlay").await?;
    app.wait_for_css(&format!("{voicemail}[data-heard='true']"))
        .await?;
    // The recording plays through WebKit's media stack to its end.
    let played = app
        .driver
        .execute(
            "const a = document.querySelector(arguments[0] + ' audio'); \
             return a ? { src: a.src.slice(0, 22), error: a.error && a.error.code, duration: a.duration } : null;",
            vec![serde_json::json!(voicemail)],
        )
        .await?;
    println!("audio: {played}");
    assert_eq!(played["src"], "data:audio/wav;base64,");
    app.wait_for_css(&format!("{voicemail}[data-ended='true']"))
        .await?;
    let shot = app.screenshot("31-voicemail-heard").await?;
    println!("screenshot: {}", shot.display());

    // History lists every channel.
    app.click("navHistory").await?;
    app.wait_for("historyView").await?;
    for channel in ["whatsapp", "sms", "voicemail"] {
        app.wait_for_css(&format!(
            "{}[data-channel='{channel}']",
            app.ids.css("historyThread")
        ))
        .await?;
    }

    // Ana by SMS, from her contact page: her details then list WhatsApp and SMS.
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ana Silva")
        .await?;
    app.click_css(&format!(
        "{}[data-phone='+12025550147']",
        app.ids.css("smsButton")
    ))
    .await?;
    app.wait_for_text(&app.ids.css("threadView"), "SMS · +1 202 555 0147")
        .await?;
    app.wait_for("composerInput")
        .await?
        .send_keys("Texting you here too, Ana.")
        .await?;
    app.click("composerSend").await?;
    app.sim
        .wait_texted("+12025550147", "Texting you here too, Ana.")
        .await?;
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ana Silva")
        .await?;
    let details = app.ids.css("contactDetails");
    for channel in ["whatsapp", "sms"] {
        app.wait_for_css(&format!(
            "{details} {}[data-channel='{channel}']",
            app.ids.css("historyThread")
        ))
        .await?;
    }
    // David's details list his voicemail.
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "David Okafor")
        .await?;
    app.wait_for_css(&format!(
        "{details} {}[data-channel='voicemail']",
        app.ids.css("historyThread")
    ))
    .await?;
    Ok(())
}
