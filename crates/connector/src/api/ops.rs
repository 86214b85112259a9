//! What a load balancer and a monitoring system ask: `GET /healthz` (the process answers),
//! `GET /readyz` (it can serve: the store answers with its schema current, the workers run,
//! it is not stopping) and `GET /metrics` (Prometheus, OpenMetrics text). None needs a
//! session; `/metrics` wants a bearer token when `--metrics-token` is set. Every request's
//! route, status and time are counted by [`count_requests`].

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq as _;

use crate::ctx::Ctx;
use crate::metrics::{RequestLabels, RouteLabels};
use crate::store::StoreExt as _;

/// How long `/readyz` waits for the store before saying it does not answer.
pub const STORE_ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// `GET /healthz`: the process is alive and serving HTTP (restart it when this fails).
pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "alive" }))
}

/// `GET /readyz`: 200 when this instance can serve, 503 (with what is wrong) when it cannot:
/// take it out of the load balancer's rotation meanwhile.
pub async fn readyz(State(ctx): State<Ctx>) -> Response {
    let store = match tokio::time::timeout(
        STORE_ANSWER_WITHIN,
        ctx.run(|env| Ok(env.store.schema_current())),
    )
    .await
    {
        Err(_) => "the store does not answer".to_owned(),
        Ok(Err(error)) | Ok(Ok(Err(error))) => format!("the store cannot be reached: {error}"),
        Ok(Ok(Ok(false))) => "the store's migrations are not applied".to_owned(),
        Ok(Ok(Ok(true))) => "ok".to_owned(),
    };
    let stopped = ctx.workers.stopped();
    let workers = if stopped.is_empty() {
        "ok".to_owned()
    } else {
        format!("stopped: {}", stopped.join(", "))
    };
    let stopping = *ctx.stopping.borrow();
    let ready = store == "ok" && workers == "ok" && !stopping;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "store": store,
        "workers": workers,
        "stopping": stopping,
    });
    (status, axum::Json(body)).into_response()
}

/// `GET /metrics`: every series, the queues read from the store now.
pub async fn metrics(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if let Some(token) = &ctx.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "The metrics need the token set with --metrics-token.\n",
            )
                .into_response();
        }
    }
    let backlogs = ctx
        .run(|env| {
            env.store
                .read(|tx| Ok((tx.inbox_backlog()?, tx.outbox_backlog()?)))
        })
        .await;
    match backlogs {
        Ok((inbox, outbox)) => ctx.metrics.set_backlogs(inbox, &outbox, ctx.clock.now()),
        // The other series still tell something; `/readyz` says what is wrong.
        Err(error) => tracing::warn!(%error, "reading the queues for the metrics"),
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        ctx.metrics.encode(),
    )
        .into_response()
}

/// The route that answered a request (its pattern), handed from the routes' layer to
/// [`count_requests`] outside them.
#[derive(Clone)]
struct Route(String);

/// On each route: notes its pattern on the response.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Around everything: counts the request by route, method and status, and times it.
pub async fn count_requests(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let started = crate::metrics::Stopwatch::start();
    let method = request.method().to_string();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or_else(|| "unmatched".to_owned(), |Route(r)| r.clone());
    ctx.metrics
        .request_duration
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.seconds());
    ctx.metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
