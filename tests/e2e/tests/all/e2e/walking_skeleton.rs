//! The thin slice through every layer, in the real app: contacts listed from the connector,
//! a WhatsApp text out to the simulated guest, the guest's reply live in the open thread.

use multiline_e2e::App;

/// Ana Silva: the demo guest who consented and wrote recently.
const ANA: &str = "12025550147";

#[tokio::test]
async fn contacts_send_and_live_reply_in_the_real_app() -> anyhow::Result<()> {
    multiline_e2e::run("walking-skeleton", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // 1. The Contacts tab lists the seeded contacts (UI -> command -> core -> connector -> SQLite).
    app.click("navContacts").await?;
    let rows = app.ids.css("contactRow");
    app.wait_for_text(&rows, "Ana Silva").await?;
    app.wait_for_text(&rows, "Ben Carter").await?;
    app.wait_for_text(&rows, "Chloé Martin").await?;
    let shot = app.screenshot("01-contacts").await?;
    println!("screenshot: {}", shot.display());

    // 2. From the contact's details, a WhatsApp text goes out to the simulator.
    app.click_text(&rows, "Ana Silva").await?;
    app.wait_for("contactDetails").await?;
    app.click("whatsappButton").await?;
    app.wait_for("threadView").await?;
    // Opening the thread reads it: Ana's earlier message no longer counts as unread (Ben's
    // SMS and David's voicemail still do).
    app.wait_gone(&format!(
        "{}[data-channel='whatsapp'] {}",
        app.ids.css("threadRow"),
        app.ids.css("unreadBadge")
    ))
    .await?;
    assert_eq!(
        app.count(&format!(
            "{} {}",
            app.ids.css("threadRow"),
            app.ids.css("unreadBadge")
        ))
        .await?,
        2
    );
    let text = "Hello Ana, your car is ready for pickup.";
    app.wait_for("composerInput").await?.send_keys(text).await?;
    app.click("composerSend").await?;
    let received = app.sim.wait_received(ANA, text).await?;
    assert_eq!(received["type"], "text");
    // The outbound bubble shows the delivery the simulator reported.
    let bubble = format!(
        "{}[data-direction='outbound'][data-state='delivered']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&bubble, text).await?;

    // 3. The guest replies; the reply appears in the open thread without a reload.
    let reply = "Great, I'll come by at 5 pm!";
    app.sim.guest_sends(ANA, reply).await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, reply).await?;
    // Read where it arrived: once the row shows the reply (its thread event, which counts it
    // unread, has come), no unread badge stays on the thread being read.
    let ana_row = format!("{}[data-channel='whatsapp']", app.ids.css("threadRow"));
    app.wait_for_text(&ana_row, reply).await?;
    app.wait_gone(&format!("{ana_row} {}", app.ids.css("unreadBadge")))
        .await?;
    let shot = app.screenshot("02-thread-with-reply").await?;
    println!("screenshot: {}", shot.display());
    Ok(())
}
