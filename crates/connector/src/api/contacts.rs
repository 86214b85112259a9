//! Contacts: list and search (F2), details (F3).

use axum::Json;
use axum::extract::State;
use multiline_domain::api::Contact;
use multiline_domain::ids::ContactId;
use serde::Deserialize;

use super::{ApiError, ApiPath, ApiQuery, Auth};
use crate::Ctx;

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiQuery(search): ApiQuery<Search>,
) -> Result<Json<Vec<Contact>>, ApiError> {
    let org = auth.caller.org_id;
    Ok(Json(
        ctx.db(move |s| s.contacts(org, search.q.as_deref()))
            .await?,
    ))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<Json<Contact>, ApiError> {
    let org = auth.caller.org_id;
    Ok(Json(ctx.db(move |s| s.contact(org, id)).await?))
}
