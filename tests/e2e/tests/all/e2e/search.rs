//! Finding any message in the real app (issue 21): with 10,000 conversations in the cache,
//! the Messages tab's search finds one message and opens its thread at it, marked; the
//! search within a long conversation reaches a message eleven pages back.

use std::time::Duration;

use multiline_e2e::App;

/// How long the demo may take to add 10,000 conversations (a debug build) and the app to
/// read them.
const STARTUP: Duration = Duration::from_secs(240);

#[tokio::test]
async fn search_finds_a_message_among_ten_thousand_threads_and_opens_it_marked()
-> anyhow::Result<()> {
    multiline_e2e::run_with(
        "search",
        &[("MULTILINE_DEMO_VOLUME", "10000,600")],
        scenario,
    )
    .await
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // Every conversation is here (the demo's few and the 10,000 added). The debug build's
    // demo takes a while to add them before the app starts: waited for, up to four minutes.
    let all = app.ids.css("threadList");
    multiline_e2e::within(STARTUP, "10,000 conversations", async {
        loop {
            let counts = app
                .driver
                .execute(
                    "return Array.from(document.querySelectorAll(arguments[0]))\
                     .map(e => Number(e.dataset.count));",
                    vec![serde_json::json!(all)],
                )
                .await?;
            if counts
                .as_array()
                .is_some_and(|c| c.iter().any(|n| n.as_u64() >= Some(10_000)))
            {
                return anyhow::Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await?;

    // One message among them, by its words (prefixes).
    app.wait_for("searchMessages")
        .await?
        .send_keys("messag 4242")
        .await?;
    let results = format!("{}[data-count='1']", app.ids.css("searchResults"));
    app.wait_for_css(&results).await?;
    app.wait_for_text(
        &app.ids.css("searchHit"),
        "Message 4242: is my order on its way?",
    )
    .await?;
    app.screenshot("60-search-results").await?;
    app.click("searchHit").await?;
    let marked = format!("{}[data-highlighted='true']", app.ids.css("messageBubble"));
    app.wait_for_text(&marked, "Message 4242: is my order on its way?")
        .await?;
    app.screenshot("61-search-opened").await?;

    // The long conversation, searched within: line 12 is pages back from the newest 50.
    // Esc in the search box clears it: the conversations are back.
    app.wait_for("searchMessages")
        .await?
        .send_keys("\u{E00C}")
        .await?;
    app.wait_for_text(&app.ids.css("threadRow"), "Line 599")
        .await?;
    app.click_text(&app.ids.css("threadRow"), "Line 599")
        .await?;
    app.click("threadSearchButton").await?;
    app.wait_for("threadSearchInput")
        .await?
        .send_keys("line 12 fleet")
        .await?;
    // Lines 129 to 120 match the prefix too, newest first; line 12 is the oldest, one step
    // "newer" from the first (the list wraps around).
    app.wait_for_text(&app.ids.css("threadSearchCount"), "1 of 11")
        .await?;
    app.wait_for_text(&marked, "Line 129 of a long conversation")
        .await?;
    app.click("threadSearchNext").await?;
    app.wait_for_text(&app.ids.css("threadSearchCount"), "11 of 11")
        .await?;
    app.wait_for_text(&marked, "Line 12 of a long conversation")
        .await?;
    app.screenshot("62-search-in-thread").await?;
    Ok(())
}
