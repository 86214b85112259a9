//! F2 in the real app: a contact added with a number the core refuses (the error on that
//! number's field, nothing saved), fixed and saved; edited; then seen by a colleague (the
//! connector kept it and told the organization), who deletes it after confirming; gone for
//! the first user too.

use multiline_e2e::App;

#[tokio::test]
async fn a_contact_is_added_edited_and_deleted() -> anyhow::Result<()> {
    multiline_e2e::run("contacts", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.click("navContacts").await?;
    app.wait_for("contactRow").await?;
    let listed = app.count(&app.ids.css("contactRow")).await?;

    // A number without its country code: refused on its field, nothing created.
    app.click("contactAdd").await?;
    app.wait_for("contactEditor").await?;
    app.wait_for("contactNameInput")
        .await?
        .send_keys("Dana Reyes")
        .await?;
    app.wait_for("contactPhoneInput")
        .await?
        .send_keys("202 555 0199")
        .await?;
    app.click("contactSave").await?;
    app.wait_for_text(&app.ids.css("fieldError"), "country code")
        .await?;
    let invalid = app
        .driver
        .execute(
            "return document.querySelector(arguments[0]).getAttribute('aria-invalid');",
            vec![serde_json::json!(app.ids.css("contactPhoneInput"))],
        )
        .await?;
    assert_eq!(invalid, serde_json::json!("true"));
    app.check_accessibility("contact editor with an error")
        .await?;
    let shot = app.screenshot("40-contact-editor-error").await?;
    println!("screenshot: {}", shot.display());

    // Fixed: saved, and the new contact's details open with the number in E.164.
    let phone = app.wait_for("contactPhoneInput").await?;
    phone.clear().await?;
    phone.send_keys("+1 202 555 0199").await?;
    app.click("contactSave").await?;
    app.wait_gone(&app.ids.css("contactEditor")).await?;
    app.wait_for_text(&app.ids.css("contactName"), "Dana Reyes")
        .await?;
    app.wait_for_css("button[aria-label^='SMS +12025550199']")
        .await?;
    app.click("navContacts").await?;
    app.wait_for_text(&app.ids.css("contactRow"), "Dana Reyes")
        .await?;
    assert_eq!(app.count(&app.ids.css("contactRow")).await?, listed + 1);

    // Edited.
    app.click_text(&app.ids.css("contactRow"), "Dana Reyes")
        .await?;
    app.click("contactEdit").await?;
    let name = app.wait_for("contactNameInput").await?;
    name.clear().await?;
    name.send_keys("Dana Reyes-Ortiz").await?;
    app.click("contactSave").await?;
    app.wait_for_text(&app.ids.css("contactName"), "Dana Reyes-Ortiz")
        .await?;

    // A colleague sees the change, and deletes the contact after confirming.
    app.switch_user("Sam Rivera").await?;
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), "Dana Reyes-Ortiz")
        .await?;
    app.wait_for_css("button[aria-label^='SMS +12025550199']")
        .await?;
    app.click("contactDelete").await?;
    let shot = app.screenshot("41-contact-delete-confirm").await?;
    println!("screenshot: {}", shot.display());
    app.click("contactDeleteConfirm").await?;
    app.wait_gone(&app.ids.css("contactDetails")).await?;
    app.wait_for("contactRow").await?;
    assert_eq!(app.count(&app.ids.css("contactRow")).await?, listed);

    // Gone for the first user too.
    app.switch_user("Alex Morgan").await?;
    app.click("navContacts").await?;
    app.wait_for("contactRow").await?;
    assert_eq!(app.count(&app.ids.css("contactRow")).await?, listed);
    Ok(())
}
