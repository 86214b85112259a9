//! Pictures both ways in the real app (F17-F18): a photo chosen from the library goes through
//! the core's pipeline (its progress drawn), is previewed with its caption, uploaded (the
//! upload's progress drawn on its bubble) and sent; a guest's picture arrives, shows in the
//! thread and opens full size; an iPhone's HEIC photo, stored sideways, reaches the guest's
//! phone as an upright JPEG (issue 18).

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

    // An iPhone photo: HEIC, a portrait (900 x 1200, red above blue) stored sideways with
    // the container saying to turn it (`irot`, EXIF orientation 6's turn) and an EXIF block
    // saying the same, as a phone held upright stores it.
    let (w, h) = (900, 1200);
    let stored = image::RgbImage::from_fn(h, w, |x, _| {
        // Stored pixel (x, y) shows the scene's (w - 1 - y, x): red where the scene's y is
        // in its upper half.
        if x < h / 2 {
            image::Rgb([210, 40, 40])
        } else {
            image::Rgb([40, 40, 210])
        }
    });
    let heic = dir.path().join("IMG_0042.HEIC");
    std::fs::write(
        &heic,
        multiline_photo::heif_testing::encode_like_an_iphone(&stored, 6),
    )?;
    app.wait_for_css(&app.ids.css("photoInput"))
        .await?
        .send_keys(&heic.display().to_string())
        .await?;
    app.wait_for_text(&app.ids.css("photoComposer"), "900 × 1200")
        .await?;
    let caption = "The door, from the side";
    app.wait_for("photoCaption")
        .await?
        .send_keys(caption)
        .await?;
    app.screenshot("06c-heic-preview").await?;
    app.click("photoSend").await?;
    let received = app.sim.wait_received(ANA, caption).await?;
    assert_eq!(received["type"], "image");
    let id = received["request"]["image"]["id"]
        .as_str()
        .expect("an uploaded picture's id");
    let sent: image::RgbImage = turbojpeg::decompress_image(&app.sim.media(id).await?)?;
    assert_eq!(sent.dimensions(), (w, h), "upright: a portrait");
    assert!(
        near(sent.get_pixel(w / 2, h / 4), [210, 40, 40]),
        "red above"
    );
    assert!(
        near(sent.get_pixel(w / 2, 3 * h / 4), [40, 40, 210]),
        "blue below"
    );
    app.wait_for_text(
        &format!(
            "{}[data-direction='outbound']",
            app.ids.css("messageBubble")
        ),
        caption,
    )
    .await?;
    app.screenshot("06d-heic-sent").await?;

    // Five pictures dropped on the conversation at once, one removed, a caption each, four
    // sent in the order shown. WebDriver has no native drop of files from the desktop, so the
    // page is given the drop event the webview makes of one (tauri.conf.json leaves drops to
    // the webview): its DataTransfer holding the five files.
    let colours = [
        [200, 40, 40],
        [40, 160, 40],
        [40, 40, 200],
        [200, 160, 40],
        [120, 40, 160],
    ];
    let mut files = Vec::new();
    for (i, colour) in colours.iter().enumerate() {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(800, 600, image::Rgb(*colour))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
        files.push(serde_json::json!({ "name": format!("car-{}.png", i + 1), "bytes": png }));
    }
    let dropped = app
        .driver
        .execute(
            "const [selector, files] = arguments;
             const target = document.querySelector(selector);
             const data = new DataTransfer();
             for (const f of files)
               data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/png' }));
             const drag = (type) => new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true });
             target.dispatchEvent(drag('dragover'));
             target.dispatchEvent(drag('drop'));
             return data.files.length;",
            vec![serde_json::json!(app.ids.css("threadView")), serde_json::json!(files)],
        )
        .await?;
    assert_eq!(dropped, serde_json::json!(5));
    let cards = app.ids.css("photoCard");
    multiline_e2e::within(multiline_e2e::WAIT, "five pictures in the strip", async {
        while app.count(&cards).await? != 5 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::Ok(())
    })
    .await?;
    app.wait_for_css(&format!(
        "{}[aria-label='Send 5 photos']",
        app.ids.css("photoSend")
    ))
    .await?;
    // The third goes.
    app.click_css(&format!(
        "{cards}:nth-child(3) {}",
        app.ids.css("photoRemove")
    ))
    .await?;
    app.wait_for_css(&format!(
        "{}[aria-label='Send 4 photos']",
        app.ids.css("photoSend")
    ))
    .await?;
    let captions = [
        "Front left",
        "Front right",
        "Rear bumper",
        "The dent up close",
    ];
    let fields = app
        .driver
        .find_all(fantoccini::Locator::Css(&app.ids.css("photoCaption")))
        .await?;
    assert_eq!(fields.len(), 4);
    for (field, caption) in fields.iter().zip(captions) {
        field.send_keys(caption).await?;
    }
    app.screenshot("06e-several-pictures").await?;
    app.click("photoSend").await?;
    for caption in captions {
        app.sim.wait_received(ANA, caption).await?;
    }
    app.wait_gone(&app.ids.css("photoComposer")).await?;
    // In the order shown, each its own message, with its own picture (the removed blue one
    // not among them).
    let received = app.sim.received(ANA).await?;
    let sent: Vec<&serde_json::Value> = received
        .iter()
        .filter(|m| captions.contains(&m["text"].as_str().unwrap_or("")))
        .collect();
    let order: Vec<&str> = sent.iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(order, captions);
    for (m, colour) in sent
        .iter()
        .zip([colours[0], colours[1], colours[3], colours[4]])
    {
        let id = m["request"]["image"]["id"].as_str().expect("a picture");
        let picture: image::RgbImage = turbojpeg::decompress_image(&app.sim.media(id).await?)?;
        let centre = picture.get_pixel(picture.width() / 2, picture.height() / 2);
        assert!(
            near(centre, colour),
            "{}: {centre:?}, expected {colour:?}",
            m["text"]
        );
    }
    app.screenshot("06f-several-pictures-sent").await?;

    // The Photo Library takes several at once too (the chooser's answer: the input's files,
    // one path a line); Cancel drops the strip.
    let paths: Vec<String> = ["a", "b"]
        .iter()
        .map(|name| {
            let path = dir.path().join(format!("{name}.png"));
            image::RgbImage::from_pixel(400, 300, image::Rgb([90, 90, 90])).save(&path)?;
            anyhow::Ok(path.display().to_string())
        })
        .collect::<Result<_, _>>()?;
    app.wait_for_css(&app.ids.css("photoInput"))
        .await?
        .send_keys(&paths.join("\n"))
        .await?;
    app.wait_for_css(&format!(
        "{}[aria-label='Send 2 photos']",
        app.ids.css("photoSend")
    ))
    .await?;
    app.click("photoCancel").await?;
    app.wait_gone(&app.ids.css("photoComposer")).await?;
    Ok(())
}

/// Whether a pixel is `colour`, within JPEG's error.
fn near(pixel: &image::Rgb<u8>, colour: [u8; 3]) -> bool {
    pixel.0.iter().zip(colour).all(|(a, b)| a.abs_diff(b) < 30)
}
