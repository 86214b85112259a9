//! Template sync: the connector's copy of the line's templates follows the Cloud API's
//! listing (at start, and on the admin's `sync-templates`). Apps are told when it changed.

use anyhow::Context as _;
use uuid::Uuid;

use crate::Ctx;

/// Fetches the line's templates from the Cloud API and stores them. Returns how many.
pub async fn sync(ctx: &Ctx, line: Uuid) -> anyhow::Result<usize> {
    let line = ctx.db(move |s| s.line(line)).await?;
    let listed = ctx
        .cloud
        .templates(&line)
        .await
        .context("listing templates from the Cloud API")?;
    let count = listed.len();
    let now = ctx.clock.now();
    let told = ctx
        .db(move |s| s.replace_templates(line.id, &listed, now))
        .await?;
    ctx.tell(told);
    Ok(count)
}
