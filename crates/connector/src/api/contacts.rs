//! Contacts: list and search (F2), details (F3), create, edit, delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use multiline_domain::api::{Contact, ContactInput};
use multiline_domain::ids::ContactId;
use serde::Deserialize;

use super::{ApiError, ApiJson, ApiPath, ApiQuery, Auth};
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

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let now = ctx.clock.now();
    let (contact, told) = ctx
        .db(move |s| s.save_contact(auth.caller, None, &input, now))
        .await?;
    ctx.tell(told);
    Ok((StatusCode::CREATED, Json(contact)))
}

pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    let now = ctx.clock.now();
    let (contact, told) = ctx
        .db(move |s| s.save_contact(auth.caller, Some(id), &input, now))
        .await?;
    ctx.tell(told);
    Ok(Json(contact))
}

pub async fn delete(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<StatusCode, ApiError> {
    let now = ctx.clock.now();
    let told = ctx
        .db(move |s| s.delete_contact(auth.caller, id, now))
        .await?;
    ctx.tell(told);
    Ok(StatusCode::NO_CONTENT)
}
