//! Settings, themes, the narrow layout, History, and signing out and in, in the real app: Alex
//! signs out, a wrong password is refused on the field, Sam signs in from the demo accounts
//! and the app is Sam's.

use multiline_e2e::App;

#[tokio::test]
async fn settings_sign_out_and_sign_in_as_a_colleague() -> anyhow::Result<()> {
    multiline_e2e::run("account", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.wait_for_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;

    // History: every conversation per contact.
    app.click("navHistory").await?;
    app.wait_for_text(&app.ids.css("historyContact"), "Ana Silva")
        .await?;
    shot(app, "11-history").await?;
    app.check_accessibility("History").await?;

    // Settings: who, which organization, which connector.
    app.click("navSettings").await?;
    app.wait_for_text(&app.ids.css("settingsUserName"), "Alex Morgan")
        .await?;
    app.wait_for_text(&app.ids.css("settingsWhatsapp"), "Enabled")
        .await?;
    app.wait_for_text(&app.ids.css("settingsConnector"), "http://127.0.0.1:")
        .await?;
    shot(app, "12-settings").await?;
    app.check_accessibility("Settings").await?;

    // Dark, then the thread in dark.
    let dark = format!("[data-testid='{}-dark']", app.ids.id("settingsTheme"));
    app.wait_for_css(&dark).await?.click().await?;
    let theme = app
        .driver
        .execute("return document.documentElement.dataset.theme;", vec![])
        .await?;
    assert_eq!(theme, "dark");
    shot(app, "13-settings-dark").await?;
    app.click("navMessages").await?;
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for("messageBubble").await?;
    shot(app, "14-thread-dark").await?;
    app.check_accessibility("a thread, dark").await?;

    // A phone-sized window: one pane at a time, the tabs at the bottom.
    let (x, y, w, h) = app.driver.get_window_rect().await?;
    app.driver
        .set_window_rect(x as u32, y as u32, 390, 780)
        .await?;
    app.wait_for("backButton").await?;
    shot(app, "15-narrow-thread-dark").await?;
    app.click("backButton").await?;
    app.wait_for("threadList").await?;
    app.click("navSettings").await?;
    let light = format!("[data-testid='{}-light']", app.ids.id("settingsTheme"));
    app.wait_for_css(&light).await?.click().await?;
    app.click("navMessages").await?;
    app.wait_for("threadList").await?;
    shot(app, "16-narrow-list").await?;
    app.check_accessibility("Messages, narrow").await?;
    app.driver
        .set_window_rect(x as u32, y as u32, w as u32, h as u32)
        .await?;

    // Sign out, confirmed.
    app.click("navSettings").await?;
    app.click("signOut").await?;
    app.wait_for("signOutDialog").await?;
    app.click("signOutConfirm").await?;
    app.wait_for("signIn").await?;
    let email = app.wait_for("signInEmail").await?;
    assert_eq!(
        email.prop("value").await?.as_deref(),
        Some("alex@northwind.example"),
        "the form remembers who signed in last"
    );

    // A wrong password is said on its field.
    app.wait_for("signInPassword")
        .await?
        .send_keys("not the password")
        .await?;
    app.click("signInSubmit").await?;
    app.wait_for_css(&format!(
        "{}[aria-invalid='true']",
        app.ids.css("signInPassword")
    ))
    .await?;
    app.wait_for_text("form", "The email or password is wrong.")
        .await?;
    shot(app, "17-sign-in-refused").await?;
    app.check_accessibility("the sign-in screen").await?;

    // Sam, from the demo accounts.
    app.wait_for_css("button[aria-label='Use Sam Rivera']")
        .await?
        .click()
        .await?;
    app.click("signInSubmit").await?;
    app.click("navSettings").await?;
    app.wait_for_text(&app.ids.css("settingsUserName"), "Sam Rivera")
        .await?;
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Ana Silva")
        .await?;
    app.wait_for("contactDetails").await?;
    app.check_accessibility("Contact Details").await?;
    Ok(())
}

async fn shot(app: &App, name: &str) -> anyhow::Result<()> {
    let path = app.screenshot(name).await?;
    println!("screenshot: {}", path.display());
    Ok(())
}
