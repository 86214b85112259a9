//! A group thread in the real app (F19-F20): Alex adds Sam to Ana's conversation from the
//! People dialog; the thread shows it as a system line, and the connector lets Sam in.

use multiline_e2e::App;

#[tokio::test]
async fn a_colleague_is_added_from_the_people_dialog() -> anyhow::Result<()> {
    multiline_e2e::run("group-thread", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.wait_for_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?
        .click()
        .await?;
    app.wait_for("threadView").await?;
    app.wait_for("participantsButton").await?.click().await?;
    app.wait_for("participantsDialog").await?;
    app.wait_for_text(&app.ids.css("colleagueOption"), "Sam Rivera")
        .await?
        .click()
        .await?;
    let shot = app.screenshot("09-people-dialog").await?;
    println!("screenshot: {}", shot.display());
    app.wait_for("participantsConfirm").await?.click().await?;
    app.wait_gone(&app.ids.css("participantsDialog")).await?;
    let system = format!("{}[data-direction='system']", app.ids.css("messageBubble"));
    app.wait_for_text(&system, "Alex Morgan added Sam Rivera")
        .await?;
    let shot = app.screenshot("10-colleague-added").await?;
    println!("screenshot: {}", shot.display());
    Ok(())
}
