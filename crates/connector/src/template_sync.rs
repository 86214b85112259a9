//! Template sync: the connector's copy of a line's templates follows the Cloud API's listing
//! (at start, and on the admin's `sync-templates`). Apps are told when it changed.

use anyhow::Context as _;
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::usecases::{accounts, templates};

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
