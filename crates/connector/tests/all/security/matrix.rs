//! The authorization matrix: every route of the API (read from the OpenAPI document, so a
//! new route without a row fails this test) tried by each kind of caller, with the answer
//! each must get. The callers: the thread's participant (Alex), a removed participant
//! (Sam), a colleague never in it (Pat), a user of another organization (Olga), and nobody
//! signed in. (Admins act through the command line on the server; the API has no admin
//! role.) Requests are valid, so what answers is authorization, not validation; the
//! participant goes last, as some requests change what the others would see.

use std::collections::BTreeSet;

use multiline_connector::usecases::accounts;
use multiline_domain::ids::ClientMessageId;
use serde_json::{Value, json};

use crate::support::{Harness, png};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    SignedOut,
    OtherOrg,
    Colleague,
    Removed,
    Participant,
}

const EVERYONE: [Who; 5] = [
    Who::SignedOut,
    Who::OtherOrg,
    Who::Colleague,
    Who::Removed,
    Who::Participant,
];

/// What a caller must be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Let through: any answer but 401, 403 and 404 (the rules may still refuse the request
    /// itself, with their own code).
    Through,
    /// Exactly this status.
    Status(u16),
    /// Refused, whichever 4xx.
    Refused,
}

use Expect::{Refused, Status, Through};

/// A thread-scoped route: only the participant gets through; every other signed-in caller
/// is told it does not exist; nobody signed in, 401.
fn members_only(who: Who) -> Expect {
    match who {
        Who::Participant => Through,
        Who::SignedOut => Status(401),
        _ => Status(404),
    }
}

/// An organization-scoped route naming the organization's record: its users get through.
fn organization_only(who: Who) -> Expect {
    match who {
        Who::SignedOut => Status(401),
        Who::OtherOrg => Status(404),
        _ => Through,
    }
}

/// A route about the caller's own things: every signed-in caller.
fn signed_in(who: Who) -> Expect {
    match who {
        Who::SignedOut => Status(401),
        _ => Through,
    }
}

struct World {
    h: Harness,
    tokens: Vec<(Who, String)>,
    thread: String,
    message: String,
    media: String,
    contact: String,
    spare_contact: String,
    doomed_contact: String,
    line: String,
    ana_phone: String,
    alex_id: String,
}

async fn world() -> World {
    let h = Harness::start().await;
    let env = h.demo.connector.ctx.env();
    let password = "a-long-enough-password";
    let org = h.demo.org;
    accounts::create_user(&env, org, "Pat Lee", "pat@northwind.example", password).unwrap();
    let other = accounts::create_organization(&env, "Other Co", true).unwrap();
    accounts::create_user(&env, other, "Olga", "olga@other.example", password).unwrap();
    let (_, alex_email, alex_password) = multiline_demo::USERS[0];
    let (_, sam_email, sam_password) = multiline_demo::USERS[1];
    let (alex, alex_session) = h.signed_in(alex_email, alex_password).await;
    let (sam, sam_session) = h.signed_in(sam_email, sam_password).await;
    let (pat, _) = h.signed_in("pat@northwind.example", password).await;
    let (olga, _) = h.signed_in("olga@other.example", password).await;

    // Alex's thread with Ana, with a picture sent in it; Sam was in it, then removed.
    let thread = h.ana_thread().await;
    let sent = h.send_text(&thread, "Hello Ana").await;
    let picture = h.uploaded("image/png", png(8, 8, [1, 2, 3])).await;
    let r = h
        .post(
            &format!("/v1/threads/{}/pictures", thread.id),
            json!({ "client_id": ClientMessageId::random(), "media_id": picture.id }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let sam_id = sam_session["user"]["id"].as_str().unwrap().to_owned();
    for op in ["add", "remove"] {
        let r = h
            .post(
                &format!("/v1/threads/{}/participants", thread.id),
                json!({ "op": op, "user_id": sam_id }),
            )
            .await;
        assert_eq!(r.status(), 200, "{op}");
    }
    let contacts: Vec<Value> = h.get("/v1/contacts").await;
    let ana = contacts.iter().find(|c| c["name"] == "Ana Silva").unwrap();
    let spare = contacts.iter().find(|c| c["name"] == "Ben Carter").unwrap();
    let doomed = contacts
        .iter()
        .find(|c| c["name"] == "Chloé Martin")
        .unwrap();
    World {
        tokens: vec![
            (Who::OtherOrg, olga),
            (Who::Colleague, pat),
            (Who::Removed, sam),
            (Who::Participant, alex),
        ],
        thread: thread.id.to_string(),
        message: sent.id.to_string(),
        media: picture.id.to_string(),
        contact: ana["id"].as_str().unwrap().to_owned(),
        spare_contact: spare["id"].as_str().unwrap().to_owned(),
        doomed_contact: doomed["id"].as_str().unwrap().to_owned(),
        line: accounts::line_of_org(&h.demo.connector.ctx.env(), h.demo.org)
            .unwrap()
            .id
            .to_string(),
        ana_phone: ana["phones"][0]["number"].as_str().unwrap().to_owned(),
        alex_id: alex_session["user"]["id"].as_str().unwrap().to_owned(),
        h,
    }
}

/// The body a route is tried with: valid for it.
fn body(w: &World, method: &str, route: &str) -> Option<Value> {
    let client_id = ClientMessageId::random();
    Some(match (method, route) {
        ("POST", "/v1/contacts") => json!({ "name": "Matrix Test", "phones": [] }),
        ("PUT", "/v1/contacts/{id}") => json!({ "name": "Renamed", "phones": [] }),
        ("POST", "/v1/threads") => {
            json!({ "contact_id": w.contact, "phone": w.ana_phone, "channel": "whatsapp" })
        }
        ("POST", "/v1/threads/{id}/messages") => json!({ "client_id": client_id, "text": "Hi" }),
        ("POST", "/v1/threads/{id}/templates") => json!({ "client_id": client_id,
            "name": "order_update", "language": "en_US", "values": [] }),
        ("POST", "/v1/threads/{id}/opt-in") => json!({ "client_id": client_id }),
        ("POST", "/v1/threads/{id}/notes") => json!({ "client_id": client_id, "text": "Note" }),
        ("POST", "/v1/threads/{id}/participants") => json!({ "op": "add", "user_id": w.alex_id }),
        ("POST", "/v1/threads/{id}/pictures") => {
            json!({ "client_id": client_id, "media_id": w.media })
        }
        ("POST", "/v1/threads/{id}/documents") => {
            json!({ "client_id": client_id, "media_id": w.media, "filename": "a.pdf" })
        }
        ("POST", "/v1/session") => json!({ "email": "nobody@example.com", "password": "x" }),
        _ => return None,
    })
}

/// The expected answer of `method route` for `who`; `None` for a route outside the
/// matrix's reach (with why).
fn expected(method: &str, route: &str, who: Who) -> Result<Expect, &'static str> {
    Ok(match (method, route) {
        // Public: a wrong sign-in is a 400 for everyone; the document is for everyone.
        ("POST", "/v1/session") => Status(400),
        ("GET", "/v1/version") => Status(200),
        ("DELETE", "/v1/session") => return Err("ends the caller's session: sessions.rs"),
        // The caller's own.
        ("GET", "/v1/me" | "/v1/threads" | "/v1/users" | "/v1/templates" | "/v1/contacts")
        | ("GET", "/v1/events/head")
        | ("POST", "/v1/contacts" | "/v1/media") => signed_in(who),
        ("GET", "/v1/events") => return Err("a WebSocket: limits.rs, sessions.rs, membership.rs"),
        // The organization's address book.
        ("GET" | "PUT", "/v1/contacts/{id}") => organization_only(who),
        // The first of the organization's users tried deletes it: the others would find
        // nothing (who may delete is the use cases' test).
        ("DELETE", "/v1/contacts/{id}") => match who {
            Who::Removed | Who::Participant => return Err("deleted by the colleague before"),
            _ => organization_only(who),
        },
        // Opening a conversation the participant holds: a colleague (removed or not) asks
        // to join (409); another organization does not know the contact.
        ("POST", "/v1/threads") => match who {
            Who::Colleague | Who::Removed => Status(409),
            _ => organization_only(who),
        },
        // Everything about the thread, its messages and its files.
        ("GET", "/v1/threads/{id}" | "/v1/threads/{id}/messages")
        | ("POST", "/v1/threads/{id}/messages" | "/v1/threads/{id}/templates")
        | ("POST", "/v1/threads/{id}/opt-in" | "/v1/threads/{id}/participants")
        | ("POST", "/v1/threads/{id}/pictures" | "/v1/threads/{id}/documents")
        | ("POST", "/v1/threads/{id}/read" | "/v1/threads/{id}/reply")
        | ("POST", "/v1/threads/{id}/notes")
        | ("POST", "/v1/messages/{id}/heard" | "/v1/messages/{id}/retry")
        | ("POST", "/v1/messages/{id}/use-number")
        | ("GET", "/v1/media/{id}") => members_only(who),
        // The providers' callbacks: signed by the provider, never by a user's token.
        (_, r) if r.starts_with("/webhooks/") => match who {
            Who::SignedOut => Refused,
            _ => return Err("signed by the provider: malformed.rs, carrier.rs"),
        },
        _ => panic!("{method} {route} has no row in the authorization matrix"),
    })
}

fn concrete(w: &World, method: &str, route: &str) -> String {
    let id = if route.starts_with("/v1/messages/") {
        &w.message
    } else if route.starts_with("/v1/media/") {
        &w.media
    } else if route == "/v1/contacts/{id}" && method == "DELETE" {
        &w.doomed_contact
    } else if route == "/v1/contacts/{id}" {
        &w.spare_contact
    } else {
        &w.thread
    };
    route.replace("{id}", id).replace("{line}", &w.line)
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_it_must() {
    let w = world().await;
    let doc = multiline_connector::api::openapi();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut routes = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    assert!(routes.len() > 30, "{routes:?}");
    let mut failures = Vec::new();
    let mut tried = 0;
    for (method, route) in &routes {
        for who in EVERYONE {
            let expect = match expected(method, route, who) {
                Ok(expect) => expect,
                Err(_elsewhere) => continue,
            };
            let url = w.h.url(&concrete(&w, method, route));
            let mut request = w.h.http.request(method.parse().unwrap(), &url);
            if let Some((_, token)) = w.tokens.iter().find(|(t, _)| *t == who) {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body(&w, method, route) {
                request = request.json(&body);
            } else if method == "POST" && route == "/v1/media" {
                request = request
                    .header("content-type", "image/png")
                    .body(png(4, 4, [9, 9, 9]));
            } else if method == "POST" && route.starts_with("/webhooks/") {
                request = request.json(&json!({ "object": "whatsapp_business_account" }));
            }
            let status = request.send().await.unwrap().status().as_u16();
            tried += 1;
            let ok = match expect {
                Through => ![401, 403, 404].contains(&status),
                Status(s) => status == s,
                Refused => (400..500).contains(&status),
            };
            if !ok {
                failures.push(format!(
                    "{method} {route} as {who:?}: {status}, expected {expect:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(tried > 100, "{tried} requests");
    // The removed participant's and the colleague's thread lists do not hold the thread.
    for who in [Who::Removed, Who::Colleague, Who::OtherOrg] {
        let token = &w.tokens.iter().find(|(t, _)| *t == who).unwrap().1;
        let threads: Vec<Value> =
            w.h.http
                .get(w.h.url("/v1/threads"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert!(
            threads.iter().all(|t| t["id"] != w.thread.as_str()),
            "{who:?}"
        );
    }
}
