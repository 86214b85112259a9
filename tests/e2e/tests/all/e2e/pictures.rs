//! Pictures both ways in the real app (F17-F18): a photo chosen from the library goes through
//! the core's pipeline (its progress drawn), is previewed with its caption, uploaded (the
//! upload's progress drawn on its bubble) and sent; a guest's picture arrives, shows in the
//! thread and opens full size.

use multiline_e2e::App;

const ANA: &str = "12025550147";

#[tokio::test]
async fn a_photo_goes_out_with_its_caption_and_a_guests_photo_comes_in() -> anyhow::Result<()> {
    multiline_e2e::run("pictures", scenario).await
}

/// A 3000 x 2000 PNG drawn here: a sky over a green field.
fn landscape(path: &std::path::Path) -> anyhow::Result<()> {
    image::RgbImage::from_fn(3000, 2000, |x, y| {
        if y < 1200 {
            image::Rgb([90, 150, (200 + x % 50) as u8])
        } else {
            image::Rgb([40, (140 + y % 60) as u8, 60])
        }
    })
    .save(path)?;
    Ok(())
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // Ana's thread, from the Messages list (she consented and wrote recently).
    let rows = app.ids.css("threadRow");
    app.click_text(&rows, "Ana Silva").await?;
    app.wait_for("threadView").await?;

    // Photo Library: the file chooser's answer is the file input's value.
    app.click("expandButton").await?;
    app.wait_for("menuPhotoLibrary").await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("field.png");
    landscape(&file)?;
    // Close the menu, then hand the input the file as the chooser would.
    app.click("expandButton").await?;
    let preparing = format!("{} progress", app.ids.css("photoProgress"));
    let uploading = format!("{} progress", app.ids.css("uploadProgress"));
    app.record_progress("preparing", &preparing).await?;
    app.record_progress("uploading", &uploading).await?;
    app.wait_for_css(&app.ids.css("photoInput"))
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    app.wait_for("photoComposer").await?;
    app.wait_for_text(&app.ids.css("photoComposer"), "1600 × 1067")
        .await?;
    app.wait_for("photoCaption")
        .await?
        .send_keys("The field, this morning")
        .await?;
    let shot = app.screenshot("05-photo-preview").await?;
    println!("screenshot: {}", shot.display());
    app.click("photoSend").await?;

    let received = app
        .sim
        .wait_received(ANA, "The field, this morning")
        .await?;
    assert_eq!(received["type"], "image");
    let sent = format!(
        "{}[data-direction='outbound'][data-state='delivered'] {}[data-loaded='true']",
        app.ids.css("messageBubble"),
        app.ids.css("messagePicture")
    );
    app.wait_for_css(&sent).await?;
    // The core's progress was drawn: the preparation's stages, then the upload's pieces.
    let preparing = app.recorded("preparing").await?;
    assert!(
        preparing.len() >= 2 && preparing.windows(2).all(|w| w[0] < w[1]),
        "the preparation's progress: {preparing:?}"
    );
    let uploading = app.recorded("uploading").await?;
    assert!(
        !uploading.is_empty() && uploading.windows(2).all(|w| w[0] < w[1]),
        "the upload's progress: {uploading:?}"
    );
    println!("progress drawn: preparing {preparing:?}, uploading {uploading:?}");
    assert_eq!(
        app.count(&app.ids.css("uploadProgress")).await?,
        0,
        "gone once sent"
    );

    // The guest answers with a picture of her own.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(800, 600, image::Rgb([200, 60, 60]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    app.sim
        .guest_sends_picture(ANA, png, "image/png", "The scratch on the door")
        .await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, "The scratch on the door")
        .await?;
    app.wait_for_css(&format!(
        "{inbound} {}[data-loaded='true']",
        app.ids.css("messagePicture")
    ))
    .await?;
    let shot = app.screenshot("06-pictures-both-ways").await?;
    println!("screenshot: {}", shot.display());

    // Her picture opens full size, at its own 800 x 600 (the window is larger), and Esc
    // closes it.
    app.click_css(&format!(
        "{inbound} {} button",
        app.ids.css("messagePicture")
    ))
    .await?;
    app.wait_for_text(&app.ids.css("pictureViewer"), "Ana Silva")
        .await?;
    let size = app
        .driver
        .execute(
            "const img = document.querySelector(arguments[0]); \
             return img.complete ? [img.naturalWidth, img.clientWidth, img.clientHeight] : null;",
            vec![serde_json::json!(app.ids.css("pictureViewerImage"))],
        )
        .await?;
    assert_eq!(
        size,
        serde_json::json!([800, 800, 600]),
        "shown at its own size"
    );
    let shot = app.screenshot("06b-picture-full-size").await?;
    println!("screenshot: {}", shot.display());
    app.check_accessibility("a picture full size").await?;
    app.driver
        .active_element()
        .await?
        .send_keys(&fantoccini::key::Key::Escape.to_string())
        .await?;
    app.wait_gone(&app.ids.css("pictureViewer")).await?;
    Ok(())
}
