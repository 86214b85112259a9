//! Contacts: list and search (F2), details (F3), create, edit, delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use multiline_domain::api::{Contact, ContactInput};
use multiline_domain::ids::ContactId;
use serde::Deserialize;

use super::{ApiError, ApiJson, ApiPath, ApiQuery, Auth};
use crate::ctx::Ctx;
use crate::usecases::contacts;

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

#[utoipa::path(get, path = "/v1/contacts", tag = "contacts", security(("bearer" = [])), params(("q" = Option<String>, Query, description = "Matches name, company or number.")), responses((status = 200, body = Vec<Contact>), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code.", body = super::ErrorBody)))]
pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiQuery(search): ApiQuery<Search>,
) -> Result<Json<Vec<Contact>>, ApiError> {
    let org = auth.caller.org_id;
    Ok(Json(
        ctx.run(move |env| contacts::contacts(env, org, search.q.as_deref()))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])), params(("id" = ContactId, Path)), responses((status = 200, body = Contact), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`.", body = super::ErrorBody)))]
pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<Json<Contact>, ApiError> {
    let org = auth.caller.org_id;
    Ok(Json(
        ctx.run(move |env| contacts::contact(env, org, id)).await?,
    ))
}

#[utoipa::path(post, path = "/v1/contacts", tag = "contacts", security(("bearer" = [])), request_body = ContactInput, responses((status = 201, body = Contact), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_name`, `invalid_notes`, `invalid_phone` (a number not valid for its country), `duplicate_phone`, `invalid_body` (e.g. a number not in E.164 form).", body = super::ErrorBody)))]
pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let (contact, told) = ctx
        .run(move |env| contacts::save_contact(env, auth.caller, None, &input))
        .await?;
    ctx.tell(told);
    Ok((StatusCode::CREATED, Json(contact)))
}

#[utoipa::path(put, path = "/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])), params(("id" = ContactId, Path)), request_body = ContactInput, responses((status = 200, body = Contact), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `invalid_name`, `invalid_notes`, `invalid_phone`, `duplicate_phone`, `invalid_body`.", body = super::ErrorBody)))]
pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, ApiError> {
    let (contact, told) = ctx
        .run(move |env| contacts::save_contact(env, auth.caller, Some(id), &input))
        .await?;
    ctx.tell(told);
    Ok(Json(contact))
}

#[utoipa::path(delete, path = "/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])), params(("id" = ContactId, Path)), responses((status = 204, description = "Hidden; its threads keep their history."), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`.", body = super::ErrorBody)))]
pub async fn delete(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ContactId>,
) -> Result<StatusCode, ApiError> {
    let told = ctx
        .run(move |env| contacts::delete_contact(env, auth.caller, id))
        .await?;
    ctx.tell(told);
    Ok(StatusCode::NO_CONTENT)
}
