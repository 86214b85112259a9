//! Every main screen in both themes and both sizes, saved as `target/e2e/screen-<theme>-
//! <size>-<screen>.png` to be looked at: Messages, a thread, the Expand '+' menu, the template
//! picker, the camera (WebKit's mock device), a picture full size, a photo's preview with its
//! caption field, the People dialog, an SMS thread, a voicemail, Contacts, Contact Details,
//! the contact editor, the opt-in dialog, History, Settings and the sign-in screen; light and dark; a desktop
//! window and a phone-sized one.

use multiline_e2e::App;

#[tokio::test]
async fn every_screen_light_and_dark_desktop_and_narrow() -> anyhow::Result<()> {
    multiline_e2e::run_with("screens", &[("MULTILINE_MOCK_CAMERA", "1")], scenario).await
}

const ESCAPE: &str = "\u{E00C}";

async fn shot(app: &App, name: &str) -> anyhow::Result<()> {
    let path = app.screenshot(&format!("screen-{name}")).await?;
    println!("screenshot: {}", path.display());
    Ok(())
}

/// Settings' theme choice: "light" or "dark".
async fn set_theme(app: &App, theme: &str) -> anyhow::Result<()> {
    app.click("navSettings").await?;
    app.click_css(&format!(
        "[data-testid='{}-{theme}']",
        app.ids.id("settingsTheme")
    ))
    .await
}

async fn escape(app: &App) -> anyhow::Result<()> {
    app.driver.active_element().await?.send_keys(ESCAPE).await?;
    Ok(())
}

/// In a narrow window the list and the detail share the screen: back to the list if a
/// detail is open.
async fn back_to_list(app: &App) -> anyhow::Result<()> {
    let visible = app
        .driver
        .execute(
            "const b = document.querySelector(arguments[0]); return !!b && b.offsetParent !== null;",
            vec![serde_json::json!(app.ids.css("backButton"))],
        )
        .await?;
    if visible == serde_json::json!(true) {
        app.click("backButton").await?;
    }
    Ok(())
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.wait_for_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    // A picture from Ana, to open full size.
    let mut png = Vec::new();
    image::RgbImage::from_fn(900, 600, |x, y| {
        image::Rgb([(x / 4) as u8, (y / 3) as u8, 160])
    })
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    app.sim
        .guest_sends_picture("12025550147", png, "image/png", "The dent, close up")
        .await?;
    let picture = format!(
        "{}[data-loaded='true'] button",
        app.ids.css("messagePicture")
    );
    let dir = tempfile::tempdir()?;
    let photo = dir.path().join("garage.png");
    image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x / 5) as u8, 90, (y / 4) as u8])
    })
    .save(&photo)?;
    let (x, y, w, h) = app.driver.get_window_rect().await?;
    for theme in ["light", "dark"] {
        set_theme(app, theme).await?;
        for (size, width) in [("desktop", w), ("narrow", 390)] {
            app.driver
                .set_window_rect(x as u32, y as u32, width as u32, h as u32)
                .await?;
            let name = |screen: &str| format!("{theme}-{size}-{screen}");

            app.click("navMessages").await?;
            back_to_list(app).await?;
            app.wait_for("threadList").await?;
            shot(app, &name("messages")).await?;

            // Search (issue 21): every message, by conversation; Esc clears it.
            app.wait_for("searchMessages")
                .await?
                .send_keys("car")
                .await?;
            app.wait_for("searchHit").await?;
            shot(app, &name("search")).await?;
            app.wait_for("searchMessages")
                .await?
                .send_keys(ESCAPE)
                .await?;
            app.wait_for("threadList").await?;

            app.click_text(&app.ids.css("threadRow"), "Ana Silva")
                .await?;
            app.wait_for("messageBubble").await?;
            app.wait_for("windowCountdown").await?;
            shot(app, &name("thread")).await?;

            // Within the thread: the search bar, then a private note's composer.
            app.click("threadSearchButton").await?;
            app.wait_for("threadSearchInput")
                .await?
                .send_keys("car")
                .await?;
            app.wait_for_text(&app.ids.css("threadSearchCount"), "1 of")
                .await?;
            shot(app, &name("thread-search")).await?;
            app.wait_for("threadSearchInput")
                .await?
                .send_keys(ESCAPE)
                .await?;
            app.wait_gone(&app.ids.css("threadSearchInput")).await?;
            app.click("noteMode").await?;
            shot(app, &name("private-note")).await?;
            app.click("messageMode").await?;

            app.click("expandButton").await?;
            app.wait_for("expandMenu").await?;
            shot(app, &name("expand-menu")).await?;
            app.click("menuTemplate").await?;
            app.wait_for("templatePicker").await?;
            shot(app, &name("template-picker")).await?;
            escape(app).await?;
            app.wait_gone(&app.ids.css("templatePicker")).await?;

            app.click("expandButton").await?;
            app.click("menuCamera").await?;
            app.wait_camera_streaming().await?;
            shot(app, &name("camera")).await?;
            app.click("cameraCancel").await?;
            app.wait_gone(&app.ids.css("camera")).await?;

            app.click_css(&picture).await?;
            app.wait_for("pictureViewer").await?;
            shot(app, &name("picture")).await?;
            escape(app).await?;
            app.wait_gone(&app.ids.css("pictureViewer")).await?;

            app.wait_for_css(&app.ids.css("photoInput"))
                .await?
                .send_keys(&photo.display().to_string())
                .await?;
            app.wait_for("photoComposer").await?;
            shot(app, &name("photo-preview")).await?;
            app.click("photoCancel").await?;
            app.wait_gone(&app.ids.css("photoComposer")).await?;

            app.click("participantsButton").await?;
            app.wait_for("participantsDialog").await?;
            app.wait_for("colleagueOption").await?;
            shot(app, &name("people")).await?;
            escape(app).await?;
            app.wait_gone(&app.ids.css("participantsDialog")).await?;

            // SMS and voicemail (F22).
            back_to_list(app).await?;
            app.click_text(&app.ids.css("threadRow"), "Ben Carter")
                .await?;
            app.wait_for_text(&app.ids.css("threadView"), "SMS ·")
                .await?;
            shot(app, &name("sms-thread")).await?;
            back_to_list(app).await?;
            app.click_text(&app.ids.css("threadRow"), "David Okafor")
                .await?;
            app.wait_for("voicemailTranscript").await?;
            shot(app, &name("voicemail")).await?;

            app.click("navContacts").await?;
            back_to_list(app).await?;
            app.wait_for_text(&app.ids.css("contactRow"), "Ana Silva")
                .await?;
            shot(app, &name("contacts")).await?;
            app.click_text(&app.ids.css("contactRow"), "Ana Silva")
                .await?;
            app.wait_for("contactDetails").await?;
            app.wait_for("consentStanding").await?;
            shot(app, &name("contact-details")).await?;
            // The consent record (issue 21), closed with Esc.
            app.click("consentRecordButton").await?;
            app.wait_for("consentRecord").await?;
            shot(app, &name("consent-record")).await?;
            escape(app).await?;
            app.wait_gone(&app.ids.css("consentRecord")).await?;
            // The contact editor (F2), cancelled with Esc: nothing is saved.
            app.click("contactEdit").await?;
            app.wait_for("contactEditor").await?;
            shot(app, &name("contact-editor")).await?;
            escape(app).await?;
            app.wait_gone(&app.ids.css("contactEditor")).await?;

            // The opt-in dialog, for a contact never asked (cancelled: nothing is sent).
            back_to_list(app).await?;
            app.click_text(&app.ids.css("contactRow"), "Chloé Martin")
                .await?;
            app.click("whatsappButton").await?;
            app.wait_for("optInDialog").await?;
            shot(app, &name("opt-in")).await?;
            app.click("optInCancel").await?;
            app.wait_gone(&app.ids.css("optInDialog")).await?;

            app.click("navHistory").await?;
            app.wait_for("historyView").await?;
            shot(app, &name("history")).await?;

            app.click("navSettings").await?;
            app.wait_for("settingsView").await?;
            shot(app, &name("settings")).await?;
        }
        app.driver
            .set_window_rect(x as u32, y as u32, w as u32, h as u32)
            .await?;
    }

    // The 24-hour window's states (issue 21), on the demo's clock: Ana's free messaging
    // (from her picture, sent at the start) under an hour from its end ("Closing soon"),
    // then ended (the closed notice's offers).
    for (hours, screen) in [(23, "closing-soon"), (2, "window-closed")] {
        app.sim
            .advance_clock(std::time::Duration::from_secs(hours * 3600))
            .await?;
        for theme in ["light", "dark"] {
            set_theme(app, theme).await?;
            for (size, width) in [("desktop", w), ("narrow", 390)] {
                app.driver
                    .set_window_rect(x as u32, y as u32, width as u32, h as u32)
                    .await?;
                app.click("navMessages").await?;
                back_to_list(app).await?;
                if screen == "closing-soon" {
                    app.wait_for_text(&app.ids.css("closingSoon"), "Ana Silva")
                        .await?;
                }
                app.click_text(&app.ids.css("threadRow"), "Ana Silva")
                    .await?;
                if screen == "closing-soon" {
                    app.wait_for_text(&app.ids.css("windowCountdown"), " min")
                        .await?;
                } else {
                    app.wait_for("chooseTemplate").await?;
                }
                shot(app, &format!("{theme}-{size}-{screen}")).await?;
            }
        }
        app.driver
            .set_window_rect(x as u32, y as u32, w as u32, h as u32)
            .await?;
    }

    // The sign-in screen (the theme is the device's, kept across accounts): dark, then light.
    for theme in ["dark", "light"] {
        set_theme(app, theme).await?;
        app.click("signOut").await?;
        app.click("signOutConfirm").await?;
        for (size, width) in [("desktop", w), ("narrow", 390)] {
            app.driver
                .set_window_rect(x as u32, y as u32, width as u32, h as u32)
                .await?;
            app.wait_for("signIn").await?;
            shot(app, &format!("{theme}-{size}-sign-in")).await?;
        }
        app.driver
            .set_window_rect(x as u32, y as u32, w as u32, h as u32)
            .await?;
        app.click_css("button[aria-label='Use Alex Morgan']")
            .await?;
        app.click("signInSubmit").await?;
        app.wait_for("threadList").await?;
    }
    Ok(())
}
