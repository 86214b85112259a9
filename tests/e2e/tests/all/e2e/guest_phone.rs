//! The demo's guest phone page in a real WebKit view: a person playing Ana writes to the
//! business, shares a location and records a voice note from the page's buttons, and each
//! arrives in the app's thread.

use fantoccini::Locator;
use multiline_e2e::App;

#[tokio::test]
async fn a_message_written_on_the_guest_phone_arrives_in_the_app() -> anyhow::Result<()> {
    multiline_e2e::run("guest-phone", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // Ana's thread is open in the app before we leave for the guest phone.
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for("threadView").await?;

    app.driver.goto(&app.sim.guest_url()).await?;
    // The guests are listed by name; the person playing picks Ana.
    app.wait_for_text("#guest option", "Ana Silva").await?;
    app.driver
        .find(Locator::Css("#guest"))
        .await?
        .select_by_label("Ana Silva")
        .await?;
    app.wait_for_text("#thread", "Nothing from the business yet")
        .await?;
    let text = "Hi, it's Ana from the guest phone";
    app.driver
        .find(Locator::Css("#text"))
        .await?
        .send_keys(text)
        .await?;
    app.driver
        .find(Locator::Css("#compose button[type=submit]"))
        .await?
        .click()
        .await?;
    app.wait_for_text(".msg", text).await?;
    // Something else than text, from the page's own buttons: a location and a voice note.
    app.click_text("summary", "Send something else").await?;
    app.click_text(".quick button", "Location").await?;
    app.wait_for_text(".msg", "Location").await?;
    app.click_text(".quick button", "Voice note").await?;
    app.wait_for_text(".msg", "Voice note").await?;
    let shot = app.screenshot("07-guest-phone").await?;
    println!("screenshot: {}", shot.display());

    // Back in the app (reloaded: a page restored from WebKit's back-forward cache has lost
    // its event listeners, which a user never meets since the app never navigates away):
    // the message is in Ana's thread.
    app.driver.back().await?;
    app.driver.refresh().await?;
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, text).await?;
    app.wait_for_text(
        &format!("{inbound}[data-kind='location']"),
        "Praça do Comércio",
    )
    .await?;
    app.wait_for_css(&format!("{inbound}[data-kind='audio'] [data-voice='true']"))
        .await?;
    Ok(())
}
