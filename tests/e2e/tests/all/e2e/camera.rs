//! The camera (F16) in the real app. With WebKit's mock capture device
//! (`MULTILINE_MOCK_CAMERA=1`, a synthetic video stream under Xvfb): live preview, take,
//! retake, take again, use; the photo goes through the photo composer and the guest receives
//! it. Cancel turns the camera off. Without any camera the dialog says so and offers the
//! Photo Library.

use multiline_e2e::App;

/// Ana Silva: the demo guest who consented and wrote recently.
const ANA: &str = "12025550147";

#[tokio::test]
async fn take_retake_and_send_a_photo_with_the_camera() -> anyhow::Result<()> {
    multiline_e2e::run_with("camera", &[("MULTILINE_MOCK_CAMERA", "1")], scenario).await
}

#[tokio::test]
async fn without_a_camera_the_dialog_says_so() -> anyhow::Result<()> {
    multiline_e2e::run("camera-none", async |app: &App| {
        open_camera(app).await?;
        app.wait_for_text(&app.ids.css("cameraProblem"), "No camera")
            .await?;
        app.wait_for("cameraLibrary").await?;
        let shot = app.screenshot("22-camera-none").await?;
        println!("screenshot: {}", shot.display());
        Ok(())
    })
    .await
}

async fn open_camera(app: &App) -> anyhow::Result<()> {
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for("threadView").await?;
    app.click("expandButton").await?;
    app.click("menuCamera").await?;
    app.wait_for("camera").await?;
    Ok(())
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // Cancel: the dialog closes and the camera is released.
    open_camera(app).await?;
    app.wait_camera_streaming().await?;
    app.click("cameraCancel").await?;
    app.wait_gone(&app.ids.css("camera")).await?;

    // Take, retake, take again, use.
    app.click("expandButton").await?;
    app.click("menuCamera").await?;
    app.wait_camera_streaming().await?;
    let shot = app.screenshot("20-camera-live").await?;
    println!("screenshot: {}", shot.display());
    app.click("cameraCapture").await?;
    app.wait_for("cameraStill").await?;
    app.click("cameraRetake").await?;
    app.wait_gone(&app.ids.css("cameraStill")).await?;
    app.wait_camera_streaming().await?;
    app.click("cameraCapture").await?;
    app.wait_for("cameraStill").await?;
    let shot = app.screenshot("21-camera-taken").await?;
    println!("screenshot: {}", shot.display());
    app.click("cameraUse").await?;
    app.wait_gone(&app.ids.css("camera")).await?;

    // The photo composer, as for a chosen picture; the guest receives it.
    app.wait_for("photoComposer").await?;
    app.wait_for("photoCaption")
        .await?
        .send_keys("Taken just now")
        .await?;
    app.click("photoSend").await?;
    let received = app.sim.wait_received(ANA, "Taken just now").await?;
    assert_eq!(received["type"], "image");
    Ok(())
}
