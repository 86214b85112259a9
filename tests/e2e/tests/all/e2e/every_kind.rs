//! F23 in the real app: the guest phone (the simulator's control API) sends a voice note, a
//! video, a PDF, a sticker, a location, a contact card, a reaction (then removes it), an
//! interactive reply and a quoted reply; each appears live in Ana's thread as people expect.
//! The voice note plays to its end through WebKitGTK's GStreamer; the PDF opens through the
//! opener (the system's `xdg-open`, here a stand-in on PATH that records what it was asked to
//! open) and is saved through the system's save dialog (GTK's, answered with xdotool as a
//! person would type). Screenshots of each kind, light and dark, are saved as
//! `target/e2e/kind-<kind>-<theme>.png`.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use multiline_e2e::App;
use serde_json::json;

const ANA: &str = "12025550147";

fn sample(name: &str) -> anyhow::Result<Vec<u8>> {
    Ok(std::fs::read(
        multiline_e2e::root()
            .join("crates/wa-sim/samples")
            .join(name),
    )?)
}

#[tokio::test]
async fn every_kind_a_guest_sends_arrives_live_and_works() -> anyhow::Result<()> {
    // The system's opener, as the app finds it on PATH: records its argument.
    let tools = tempfile::tempdir()?;
    let opened = tools.path().join("opened.log");
    multiline_e2e::stand_in(
        tools.path(),
        "xdg-open",
        &format!("printf '%s\\n' \"$1\" >> '{}'", opened.display()),
    )?;
    let path = multiline_e2e::path_with(tools.path());
    multiline_e2e::run_with("every-kind", &[("PATH", &path)], async |app| {
        scenario(app, &opened, tools.path()).await
    })
    .await
}

/// A bubble of `kind` (its `data-kind`) from the guest.
fn bubble(app: &App, kind: &str) -> String {
    format!(
        "{}[data-direction='inbound'][data-kind='{kind}']",
        app.ids.css("messageBubble")
    )
}

async fn scenario(app: &App, opened: &Path, tools: &Path) -> anyhow::Result<()> {
    let rows = app.ids.css("threadRow");
    app.click_text(&rows, "Ana Silva").await?;
    app.wait_for("threadView").await?;
    // Something of ours to react to, answer and quote.
    let ours = "Your car is ready: shall we bring it on Friday?";
    app.wait_for("composerInput").await?.send_keys(ours).await?;
    app.click("composerSend").await?;
    app.sim.wait_received(ANA, ours).await?;
    let our_bubble = format!(
        "{}[data-direction='outbound'][data-state='delivered']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&our_bubble, ours).await?;

    let kinds = [
        json!({ "kind": "voice" }),
        json!({ "kind": "video", "caption": "The noise from the street at night" }),
        json!({ "kind": "document", "caption": "Invoice 1042" }),
        json!({ "kind": "sticker", "animated": true }),
        json!({ "kind": "location", "latitude": 38.7075, "longitude": -9.1364,
                "name": "Praça do Comércio", "address": "1100-148 Lisboa, Portugal" }),
        json!({ "kind": "contact", "name": "Rui Costa", "phone": "+351 912 000 111" }),
        json!({ "kind": "button_reply", "id": "friday", "title": "Friday works" }),
    ];
    for kind in kinds {
        app.sim.guest_sends_kind(ANA, kind).await?;
    }
    let received = app.sim.received(ANA).await?;
    let our_wamid = received
        .iter()
        .rev()
        .find(|r| r["text"] == ours)
        .and_then(|r| r["wamid"].as_str())
        .context("our message's wamid")?
        .to_owned();
    app.sim
        .guest_sends_kind(
            ANA,
            json!({ "kind": "text", "text": "Friday 10 am, please.", "reply_to": our_wamid }),
        )
        .await?;

    // Each arrives live, drawn as its kind.
    let voice = bubble(app, "audio");
    app.wait_for_css(&format!("{voice} [data-voice='true']"))
        .await?;
    app.wait_for_text(&bubble(app, "video"), "The noise from the street at night")
        .await?;
    app.wait_for_text(&bubble(app, "document"), "invoice.pdf")
        .await?;
    app.wait_for_text(&bubble(app, "document"), "PDF").await?;
    app.wait_for_css(&format!(
        "{} {}[data-animated='true'][data-loaded='true']",
        bubble(app, "sticker"),
        app.ids.css("messageSticker")
    ))
    .await?;
    app.wait_for_text(&bubble(app, "location"), "Praça do Comércio")
        .await?;
    app.wait_for_css(&format!(
        "{} {}",
        bubble(app, "location"),
        app.ids.css("locationOpen")
    ))
    .await?;
    app.wait_for_text(&bubble(app, "contacts"), "Rui Costa")
        .await?;
    let choice = bubble(app, "choice");
    app.wait_for_text(&choice, "Friday works").await?;
    app.wait_for_text(&format!("{choice} {}", app.ids.css("messageQuote")), ours)
        .await?;
    let reply = format!(
        "{}[data-direction='inbound'][data-kind='text']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&reply, "Friday 10 am, please.").await?;

    // The voice note: its length (read by the connector from the file), played to its end.
    app.wait_for_text(&voice, "0:03").await?;
    app.click_css(&format!("{voice} {}", app.ids.css("mediaPlay")))
        .await?;
    app.wait_for_css(&format!("{voice} [data-state='ended']"))
        .await
        .context("the voice note played to its end")?;

    // The PDF: Open hands the file, under its name, to the system's opener.
    app.click_css(&format!(
        "{} {}",
        bubble(app, "document"),
        app.ids.css("documentOpen")
    ))
    .await?;
    let handed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Ok(log) = std::fs::read_to_string(opened)
                && let Some(line) = log.lines().next()
            {
                return line.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .context("the opener was called")?;
    assert!(handed.ends_with("/invoice.pdf"), "opened {handed}");
    assert_eq!(std::fs::read(&handed)?, sample("invoice.pdf")?);

    // Save as: the system's dialog, answered as a person would type.
    let saved = tools.join("Invoice from Ana.pdf");
    app.click_css(&format!(
        "{} {}",
        bubble(app, "document"),
        app.ids.css("documentSave")
    ))
    .await?;
    multiline_e2e::answer_save_dialog(&saved).await?;
    tokio::time::timeout(Duration::from_secs(15), async {
        while std::fs::read(&saved).ok().as_deref() != Some(&sample("invoice.pdf").unwrap()[..]) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .context("saved where the dialog said")?;

    // A reaction on our message, then removed in place.
    app.sim
        .guest_sends_kind(ANA, json!({ "kind": "reaction", "emoji": "👍" }))
        .await?;
    let reaction = format!("{our_bubble} {}", app.ids.css("messageReactions"));
    app.wait_for_css(&reaction).await?;
    let title = app
        .wait_for_css(&reaction)
        .await?
        .attr("title")
        .await?
        .unwrap_or_default();
    assert!(title.contains("👍"), "{title}");
    let rows_preview = app.ids.css("threadRow");
    app.wait_for_text(&rows_preview, "reacted 👍").await?;
    app.driver
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![json!(our_bubble)],
        )
        .await?;
    shots(app, "reaction").await?;
    app.sim
        .guest_sends_kind(ANA, json!({ "kind": "reaction" }))
        .await?;
    app.wait_gone(&reaction).await?;

    // The quoted reply: a tap on its quote goes to our message and marks it.
    app.click_css(&format!("{reply} {}", app.ids.css("messageQuote")))
        .await?;
    let marked = format!(
        "{}[data-direction='outbound'][data-highlighted='true']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&marked, ours)
        .await
        .context("the quoted message, gone to and marked")?;

    // A contact card becomes a contact: the editor opens filled in.
    app.click_css(&format!(
        "{} {}",
        bubble(app, "contacts"),
        app.ids.css("contactCardAdd")
    ))
    .await?;
    let name = app.wait_for("contactNameInput").await?;
    assert_eq!(name.prop("value").await?.as_deref(), Some("Rui Costa"));
    shots(app, "contact-editor").await?;
    app.click_text("button", "Cancel").await?;

    // Every kind, light and dark.
    for kind in [
        "audio", "video", "document", "sticker", "location", "contacts", "choice",
    ] {
        app.driver
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
                vec![json!(bubble(app, kind))],
            )
            .await?;
        shots(app, kind).await?;
    }
    Ok(())
}

/// Screenshots of the window now, in the light theme and the dark one.
async fn shots(app: &App, what: &str) -> anyhow::Result<()> {
    let before = app
        .driver
        .execute(
            "return document.documentElement.dataset.theme ?? null",
            vec![],
        )
        .await?;
    for theme in ["light", "dark"] {
        app.driver
            .execute(
                "document.documentElement.dataset.theme = arguments[0]",
                vec![json!(theme)],
            )
            .await?;
        let shot = app.screenshot(&format!("kind-{what}-{theme}")).await?;
        println!("screenshot: {}", shot.display());
    }
    app.driver
        .execute(
            "if (arguments[0] === null) delete document.documentElement.dataset.theme; \
             else document.documentElement.dataset.theme = arguments[0];",
            vec![before],
        )
        .await?;
    Ok(())
}
