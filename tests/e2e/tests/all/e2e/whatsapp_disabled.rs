//! F1 in the real app: with WhatsApp turned off for the organization (by an admin, before
//! the app signs in), no green WhatsApp icon shows anywhere and nothing can be sent on it.

use multiline_e2e::App;

#[tokio::test]
async fn no_whatsapp_icon_when_the_organization_turned_it_off() -> anyhow::Result<()> {
    multiline_e2e::run_with(
        "whatsapp-disabled",
        &[("MULTILINE_DEMO_WHATSAPP", "off")],
        scenario,
    )
    .await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ana Silva")
        .await?;
    app.wait_for("contactDetails").await?;
    // The number with its SMS and call actions, and no WhatsApp one.
    app.wait_for_css("button[aria-label^='SMS +12025550147']")
        .await?;
    assert_eq!(app.count(&app.ids.css("whatsappButton")).await?, 0);
    let shot = app.screenshot("18-whatsapp-disabled-contact").await?;
    println!("screenshot: {}", shot.display());

    // Settings says so.
    app.click("navSettings").await?;
    app.wait_for_text(&app.ids.css("settingsWhatsapp"), "Not enabled")
        .await?;

    // Ana's earlier WhatsApp thread stays readable; its composer says why it cannot send.
    app.click("navMessages").await?;
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for_text(
        &app.ids.css("composerNotice"),
        "WhatsApp is not enabled for your organization.",
    )
    .await?;
    assert_eq!(
        app.count("svg.glyph").await?,
        0,
        "no green icon in the list either"
    );
    let shot = app.screenshot("19-whatsapp-disabled-thread").await?;
    println!("screenshot: {}", shot.display());
    let disabled = app
        .driver
        .execute(
            "return document.querySelector(arguments[0]).disabled;",
            vec![serde_json::json!(app.ids.css("composerInput"))],
        )
        .await?;
    assert_eq!(disabled, serde_json::json!(true), "the field is closed");
    Ok(())
}
