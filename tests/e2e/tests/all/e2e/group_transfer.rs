//! Transfer and restart (F20) in the real app, checked from both users' apps: Alex hands
//! Ana's conversation to Sam and no longer has it; Sam's app shows it with the line that
//! says so; Sam restarts it, and Sam's History has the closed conversation and the new one;
//! a reply from the closed one goes to the open one.

use multiline_e2e::App;

#[tokio::test]
async fn a_conversation_is_transferred_then_restarted() -> anyhow::Result<()> {
    multiline_e2e::run("group-transfer", scenario).await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    let rows = app.ids.css("threadRow");
    let system = format!("{}[data-direction='system']", app.ids.css("messageBubble"));

    // Alex transfers Ana to Sam.
    app.click_text(&rows, "Ana Silva").await?;
    app.click("participantsButton").await?;
    app.click_css("input[type='radio'][value='transfer']")
        .await?;
    app.click_text(&app.ids.css("colleagueOption"), "Sam Rivera")
        .await?;
    app.click("participantsConfirm").await?;
    app.wait_gone(&app.ids.css("participantsDialog")).await?;
    app.wait_gone(&format!("{rows}[data-channel='whatsapp']"))
        .await?;

    // Sam has it, with the line that says how.
    app.switch_user("Sam Rivera").await?;
    app.click_text(&rows, "Ana Silva").await?;
    app.wait_for_text(
        &system,
        "Alex Morgan transferred the conversation to Sam Rivera",
    )
    .await?;

    // Sam restarts it, confirmed: a new open conversation; the old one closed, in History.
    app.click("participantsButton").await?;
    app.click("restartConversation").await?;
    app.click("participantsConfirm").await?;
    app.wait_gone(&app.ids.css("participantsDialog")).await?;
    app.click("navHistory").await?;
    let history = app.ids.css("historyThread");
    app.wait_for_css(&format!("{history}[data-status='closed']"))
        .await?;
    app.wait_for_css(&format!("{history}[data-status='open']"))
        .await?;
    let shot = app.screenshot("23-history-after-restart").await?;
    println!("screenshot: {}", shot.display());
    app.click_css(&format!("{history}[data-status='closed']"))
        .await?;
    app.wait_for_text(&system, "Sam Rivera restarted the conversation")
        .await?;

    // Sam replies from the closed one: the reply goes to Ana's open conversation, which
    // links back to it; the guest's phone gets it.
    let closed_id = app
        .wait_for("threadView")
        .await?
        .attr("data-thread-id")
        .await?
        .expect("a thread id");
    app.click("replyFromThread").await?;
    app.wait_for("earlierThread").await?;
    let open_id = app
        .wait_for("threadView")
        .await?
        .attr("data-thread-id")
        .await?
        .expect("a thread id");
    assert_ne!(
        open_id, closed_id,
        "the reply lands in the open conversation"
    );
    let text = "Following up from our earlier conversation, Ana.";
    app.wait_for("composerInput").await?.send_keys(text).await?;
    app.click("composerSend").await?;
    app.sim.wait_received("12025550147", text).await?;
    app.screenshot("23b-reply-from-history").await?;
    Ok(())
}
