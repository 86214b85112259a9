//! Template sync: the connector's copy of a line's templates follows the Cloud API's listing
//! (at start, and on the admin's `sync-templates`). Apps are told when it changed.

use anyhow::Context as _;
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::usecases::{accounts, deliver, templates};

/// Fetches the line's templates from the Cloud API and stores them. Answers how many.
pub async fn sync(ctx: &Ctx, line: Uuid) -> anyhow::Result<usize> {
    let line = ctx.run(move |env| accounts::line(env, line)).await?;
    let listed = ctx
        .whatsapp
        .templates(&line)
        .await
        .context("listing templates from the Cloud API")?;
    let count = listed.len();
    let told = ctx
        .run(move |env| templates::replace(env, line.id, &listed))
        .await?;
    ctx.tell(told);
    Ok(count)
}

/// Probes each line paused for its credentials (`deliver::PROBED_CODES`) with a read of its
/// templates: one that answers is resumed (audited as the connector's), and the dispatch
/// worker is woken. Answers the lines resumed.
pub async fn probe_paused(ctx: &Ctx) -> anyhow::Result<Vec<Uuid>> {
    let mut resumed = Vec::new();
    for line in ctx.run(deliver::probed_lines).await? {
        if ctx.whatsapp.templates(&line).await.is_ok() {
            let id = line.id;
            ctx.run(move |env| deliver::unpause(env, id, "connector").map(|_| ()))
                .await?;
            tracing::info!(line = %id, "the line's credentials work again: resumed");
            resumed.push(id);
        }
    }
    if !resumed.is_empty() {
        ctx.dispatch.notify_one();
    }
    Ok(resumed)
}
