//! A group thread in the real app (F19-F20), checked from both users' apps: Alex adds Sam to
//! Ana's conversation from the People dialog; signed in as Sam, the app shows the thread with
//! the system line and Alex's private note (which Ana's phone never gets), Sam writes to Ana
//! and then leaves; signed in as Alex again, the thread shows that Sam left.

use multiline_e2e::App;

/// Ana Silva, the demo guest who consented and wrote recently.
const ANA: &str = "12025550147";

#[tokio::test]
async fn a_colleague_is_added_from_the_people_dialog() -> anyhow::Result<()> {
    multiline_e2e::run("group-thread", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for("threadView").await?;
    app.click("participantsButton").await?;
    app.wait_for("participantsDialog").await?;
    app.click_text(&app.ids.css("colleagueOption"), "Sam Rivera")
        .await?;
    let shot = app.screenshot("09-people-dialog").await?;
    println!("screenshot: {}", shot.display());
    app.click("participantsConfirm").await?;
    app.wait_gone(&app.ids.css("participantsDialog")).await?;
    let system = format!("{}[data-direction='system']", app.ids.css("messageBubble"));
    app.wait_for_text(&system, "Alex Morgan added Sam Rivera")
        .await?;
    let shot = app.screenshot("10-colleague-added").await?;
    println!("screenshot: {}", shot.display());

    // A private note for Sam: kept in the thread, never sent to Ana.
    let note = "Ana prefers a call after 5 pm; the invoice is paid.";
    app.click("noteMode").await?;
    app.wait_for("composerInput").await?.send_keys(note).await?;
    app.click("composerSend").await?;
    let notes = format!("{}[data-direction='note']", app.ids.css("messageBubble"));
    app.wait_for_text(&notes, note).await?;
    app.screenshot("10b-private-note").await?;
    app.click("messageMode").await?;

    // Sam's app: the thread is there, with the line that says how.
    app.switch_user("Sam Rivera").await?;
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for_text(&system, "Alex Morgan added Sam Rivera")
        .await?;
    // Alex's note is here, marked as such.
    app.wait_for_text(&notes, note).await?;
    app.wait_for_text(&app.ids.css("privateNote"), "Private note · Alex Morgan")
        .await?;
    let text = "Hi Ana, Sam here: I'll take care of your visit.";
    app.wait_for("composerInput").await?.send_keys(text).await?;
    app.click("composerSend").await?;
    let received = app.sim.wait_received(ANA, text).await?;
    assert_eq!(received["type"], "text");
    // Ana's phone got Sam's text and never the note.
    let all = app.sim.received(ANA).await?;
    assert!(
        !all.iter().any(|r| r.to_string().contains("prefers a call")),
        "the note reached the guest: {all:?}"
    );
    let mine = format!(
        "{}[data-direction='outbound']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&mine, text).await?;

    // Sam leaves: the thread is gone from Sam's app.
    app.click("participantsButton").await?;
    app.click("leaveConversation").await?;
    app.click("participantsConfirm").await?;
    app.wait_gone(&format!(
        "{}[data-channel='whatsapp']",
        app.ids.css("threadRow")
    ))
    .await?;

    // Alex's app again: Sam's message and departure are in the thread.
    app.switch_user("Alex Morgan").await?;
    app.click_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    app.wait_for_text(&system, "Sam Rivera left").await?;
    app.wait_for_text(&mine, text).await?;

    // Alex adds Sam again, then removes Sam from the panel, confirmed.
    app.click("participantsButton").await?;
    app.click_text(&app.ids.css("colleagueOption"), "Sam Rivera")
        .await?;
    app.click("participantsConfirm").await?;
    app.wait_gone(&app.ids.css("participantsDialog")).await?;
    app.click("participantsButton").await?;
    app.wait_for_text(&app.ids.css("participantRow"), "Sam Rivera")
        .await?;
    app.click("removeParticipant").await?;
    app.click("participantsConfirm").await?;
    app.wait_gone(&app.ids.css("participantsDialog")).await?;
    app.wait_for_text(&system, "Alex Morgan removed Sam Rivera")
        .await?;
    Ok(())
}
