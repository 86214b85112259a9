//! The embedded demo: a connector on SQLite and the Cloud API simulator on loopback (also
//! playing Twilio for SMS and voicemail), seeded with an organization (WhatsApp enabled),
//! two users, contacts, a guest who has consented and written recently, an SMS, a
//! voicemail, and approved templates. `make run` starts it inside the app; tests
//! start it directly.
//!
//! Seeding happens once per data folder; the line's Cloud API URL is refreshed on every start
//! because the simulator's port changes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use multiline_domain::api::ContactPhone;
use multiline_domain::consent::Consent;
use multiline_domain::ids::OrganizationId;
use multiline_domain::phone::E164;
use multiline_domain::time::Clock;
use serde_json::json;
use tokio::net::TcpListener;
use wa_sim::{SimConfig, Simulator, Template};

use crate::Connector;
use crate::store::{InboundMessage, NewLine, SqliteStore, Store};

/// The demo's users: (name, email, password).
pub const USERS: [(&str, &str, &str); 2] = [
    ("Alex Morgan", "alex@northwind.example", "multiline-demo"),
    ("Sam Rivera", "sam@northwind.example", "multiline-demo"),
];

/// The demo's contacts: (name, company, number, consented and wrote recently).
pub const CONTACTS: [(&str, Option<&str>, &str, bool); 5] = [
    ("Ana Silva", Some("Silva Logistics"), "+12025550147", true),
    ("Ben Carter", None, "+447911123456", false),
    (
        "Chloé Martin",
        Some("Atelier Martin"),
        "+33612345678",
        false,
    ),
    (
        "David Okafor",
        Some("Okafor & Sons"),
        "+4915112345678",
        false,
    ),
    ("Elena Rossi", None, "+393471234567", false),
];

pub struct DemoOptions {
    pub data_dir: PathBuf,
    pub connector_addr: SocketAddr,
    pub sim_addr: SocketAddr,
    pub clock: Arc<dyn Clock>,
}

pub struct Demo {
    pub connector: Connector,
    pub sim: Simulator,
    pub org: OrganizationId,
}

/// Starts the simulator and the connector, seeding the store on first use.
pub async fn start(options: DemoOptions) -> anyhow::Result<Demo> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating {}", options.data_dir.display()))?;
    let path = options.data_dir.join("connector.sqlite3");
    let store: Arc<dyn Store> =
        Arc::new(tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??);
    let sim_listener = TcpListener::bind(options.sim_addr)
        .await
        .context("binding the simulator")?;
    let listener = TcpListener::bind(options.connector_addr)
        .await
        .context("binding the connector")?;
    let sim = Simulator::start(SimConfig::demo(), options.clock.clone(), sim_listener).await?;
    for template in templates() {
        sim.add_template(template);
    }
    for (name, _, number, _) in CONTACTS {
        sim.add_guest(number.trim_start_matches('+'), name);
    }

    let now = options.clock.now();
    let sim_url = sim.base_url();
    let seed_store = store.clone();
    let sim_url_for_line = sim_url.clone();
    let (org, line_id, recent) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let store = seed_store;
        let org = match store.organizations()?.first() {
            Some(org) => org.id,
            None => seed(&*store, now)?,
        };
        let owner = store
            .user_by_email(USERS[0].1)?
            .context("the demo owner exists")?;
        let config = SimConfig::demo();
        let line = store.connect_line(
            org,
            NewLine {
                phone_number_id: config.phone_number_id,
                waba_id: config.waba_id,
                display_phone_number: config.display_phone_number,
                access_token: config.access_token,
                app_secret: config.app_secret,
                verify_token: "demo-verify-token".into(),
                api_base_url: sim_url_for_line,
                api_version: "v21.0".into(),
                owner_user_id: owner,
            },
        )?;
        // The line's SMS and voicemail carrier: the simulator playing Twilio.
        let account = wa_sim::TwilioAccount::demo();
        store.set_line_carrier(
            line,
            Some(&crate::carrier::CarrierConfig {
                provider: "twilio".into(),
                account_sid: account.account_sid,
                auth_token: account.auth_token,
                api_base_url: sim_url.clone(),
                number: E164::parse(&account.number, None)?,
            }),
        )?;
        let recent = store.last_guest_messages(line)?;
        if recent.is_empty() {
            seed_consents(&*store, line, now)?;
            seed_sms_and_voicemail(&*store, line, now)?;
            // First start: Ana wrote two hours ago, so her window is open.
            let line = store.line(line)?;
            let ana = E164::parse(CONTACTS[0].2, None)?;
            let at = now - chrono::Duration::hours(2);
            store.ingest_inbound(
                &line,
                &InboundMessage {
                    wamid: "wamid.DEMO-SEED-1".into(),
                    channel: multiline_domain::api::Channel::Whatsapp,
                    from: ana,
                    body: multiline_domain::api::MessageBody::Text {
                        text: "Hi! Is my car ready for pickup on Friday?".into(),
                    },
                    payload: None,
                    at,
                    cloud_media: None,
                    media: None,
                },
                at,
            )?;
        }
        Ok((org, line, store.last_guest_messages(line)?))
    })
    .await??;
    for (guest, at) in recent {
        sim.set_guest_last_message_at(guest.wa_id(), at);
    }
    let connector = Connector::start(store, options.clock, listener).await?;
    sim.set_webhook_url(connector.webhook_url(line_id));
    sim.set_twilio_webhooks(
        connector.carrier_webhook_url(line_id, "sms"),
        connector.carrier_webhook_url(line_id, "voice"),
    );
    crate::templates::sync(&connector.ctx, line_id).await?;
    Ok(Demo {
        connector,
        sim,
        org,
    })
}

fn seed(
    store: &dyn Store,
    now: multiline_domain::time::Timestamp,
) -> anyhow::Result<OrganizationId> {
    let org = store.create_organization("Northwind Motors", true, now)?;
    for (name, email, password) in USERS {
        store.create_user(org, name, email, password, now)?;
    }
    for (name, company, number, _) in CONTACTS {
        let phone = ContactPhone {
            number: E164::parse(number, None)?,
            label: "mobile".into(),
        };
        store.create_contact(org, name, company, None, &[phone], now)?;
    }
    Ok(org)
}

/// An SMS from Ben (yesterday) and a voicemail from David (this morning), once, so that the
/// Messages tab shows every channel (F22). Older than Ana's WhatsApp message: hers stays on
/// top.
fn seed_sms_and_voicemail(
    store: &dyn Store,
    line: uuid::Uuid,
    now: multiline_domain::time::Timestamp,
) -> anyhow::Result<()> {
    use multiline_domain::api::{Channel, MessageBody};
    let line = store.line(line)?;
    let sms_at = now - chrono::Duration::hours(26);
    store.ingest_inbound(
        &line,
        &InboundMessage {
            wamid: "SMDEMOSEED0000000000000000000001".into(),
            channel: Channel::Sms,
            from: E164::parse(CONTACTS[1].2, None)?,
            body: MessageBody::Text {
                text: "Could you text me the invoice total for the brake job?".into(),
            },
            payload: None,
            at: sms_at,
            cloud_media: None,
            media: None,
        },
        sms_at,
    )?;
    let call_at = now - chrono::Duration::hours(5);
    store.ingest_inbound(
        &line,
        &InboundMessage {
            wamid: "REDEMOSEED0000000000000000000001".into(),
            channel: Channel::Voicemail,
            from: E164::parse(CONTACTS[3].2, None)?,
            body: MessageBody::Voicemail {
                media_id: multiline_domain::ids::MediaId::random(),
                duration_secs: 9,
                transcript: Some(
                    "Hi, it's David from Okafor and Sons. We'd like to book the fleet service for Monday. Please call me back."
                        .into(),
                ),
                heard_at: None,
            },
            payload: None,
            at: call_at,
            cloud_media: None,
            media: Some(crate::store::ReceivedMedia {
                bytes: wa_sim::recording_wav(9),
                mime_type: "audio/x-wav".into(),
                width: 0,
                height: 0,
            }),
        },
        call_at,
    )?;
    Ok(())
}

/// Records the demo's consents once the line exists.
fn seed_consents(
    store: &dyn Store,
    line: uuid::Uuid,
    now: multiline_domain::time::Timestamp,
) -> anyhow::Result<()> {
    for (_, _, number, consented) in CONTACTS {
        if consented {
            let consent = Consent::Granted {
                at: now - chrono::Duration::days(3),
                reply: "YES".into(),
            };
            store.set_guest_consent(line, &E164::parse(number, None)?, &consent, now)?;
        }
    }
    Ok(())
}

/// The demo's templates, in Meta's listing shape (one not yet approved).
pub fn templates() -> Vec<Template> {
    let t = |id: &str, name: &str, status: &str, category: &str, components: serde_json::Value| {
        Template {
            id: id.into(),
            name: name.into(),
            language: "en_US".into(),
            status: status.into(),
            category: category.into(),
            parameter_format: "POSITIONAL".into(),
            components,
        }
    };
    vec![
        t(
            "1001",
            "optin_request",
            "APPROVED",
            "UTILITY",
            json!([
                { "type": "BODY", "text": "Hi {{1}}, this is {{2}}. May we send you messages about your requests here on WhatsApp? Reply YES to agree or STOP to opt out.",
                  "example": { "body_text": [["Ana", "Northwind Motors"]] } },
                { "type": "BUTTONS", "buttons": [{ "type": "QUICK_REPLY", "text": "Yes" }, { "type": "QUICK_REPLY", "text": "No" }] }
            ]),
        ),
        t(
            "1002",
            "appointment_reminder",
            "APPROVED",
            "UTILITY",
            json!([
                { "type": "HEADER", "format": "TEXT", "text": "Reminder" },
                { "type": "BODY", "text": "Hi {{1}}, this is a reminder of your appointment on {{2}}. Reply here if you need to change it.",
                  "example": { "body_text": [["Ana", "Friday at 3 pm"]] } },
                { "type": "FOOTER", "text": "Reply STOP to opt out" }
            ]),
        ),
        t(
            "1003",
            "conversation_restart",
            "APPROVED",
            "UTILITY",
            json!([
                { "type": "BODY", "text": "Hello {{1}}, following up on our conversation. Reply to this message to continue.",
                  "example": { "body_text": [["Ana"]] } }
            ]),
        ),
        t(
            "1004",
            "spring_offer",
            "PENDING",
            "MARKETING",
            json!([
                { "type": "BODY", "text": "Spring service offer: 20% off until {{1}}." }
            ]),
        ),
    ]
}

/// `"<threads>,<messages>"`, as `demo --volume` and `MULTILINE_DEMO_VOLUME` take it.
pub fn parse_volume(v: &str) -> Result<(usize, usize), String> {
    v.split_once(',')
        .and_then(|(t, m)| Some((t.trim().parse().ok()?, m.trim().parse().ok()?)))
        .ok_or_else(|| format!("{v:?}: use <threads>,<messages>"))
}

impl Demo {
    /// Adds the benchmark volume ([`seed_volume`]) to the running demo, once.
    pub async fn add_volume(&self, (threads, messages): (usize, usize)) -> anyhow::Result<()> {
        let store = self.connector.ctx.store.clone();
        let line = store.line_of_org(self.org)?.id;
        let now = self.connector.ctx.clock.now();
        tokio::task::spawn_blocking(move || seed_volume(&*store, line, threads, messages, now))
            .await?
    }
}

/// For benchmarks: `threads` more conversations (one message each, from guests not in the
/// address book) and one conversation of `messages` messages, the newest of all. Added once:
/// a store that has them is left as it is. Messages go in through the webhook inbox's batch
/// path, 500 per transaction.
pub fn seed_volume(
    store: &dyn Store,
    line: uuid::Uuid,
    threads: usize,
    messages: usize,
    now: multiline_domain::time::Timestamp,
) -> anyhow::Result<()> {
    const DONE: &str = "wamid.VOLUME-DONE";
    anyhow::ensure!(
        messages > 0,
        "the long conversation needs at least one message"
    );
    if store.knows_wamid(DONE)? {
        return Ok(());
    }
    let line = store.line(line)?;
    let taken: Vec<&str> = CONTACTS.iter().map(|c| c.2).collect();
    let mut numbers = (0..100_000u32)
        .flat_map(|i| {
            [
                format!("+1202555{:04}", i % 10_000),
                format!("+1312555{:04}", i % 10_000),
            ]
        })
        .filter(|n| !taken.contains(&n.as_str()))
        .filter_map(|n| E164::parse(&n, None).ok());
    let total = threads + messages;
    let at = |k: usize| now - chrono::Duration::seconds((total - k) as i64);
    let text = |body: String| multiline_domain::api::MessageBody::Text { text: body };
    let mut inbound = Vec::with_capacity(total);
    for k in 0..threads {
        let from = numbers.next().context("enough numbers")?;
        inbound.push(InboundMessage {
            wamid: format!("wamid.VOLUME-T{k}"),
            channel: multiline_domain::api::Channel::Whatsapp,
            from,
            body: text(format!("Message {k}: is my order on its way?")),
            payload: None,
            at: at(k),
            cloud_media: None,
            media: None,
        });
    }
    let long = numbers
        .next()
        .context("a number for the long conversation")?;
    for k in 0..messages {
        let last = k + 1 == messages;
        inbound.push(InboundMessage {
            wamid: if last {
                DONE.to_owned()
            } else {
                format!("wamid.VOLUME-M{k}")
            },
            channel: multiline_domain::api::Channel::Whatsapp,
            from: long.clone(),
            body: text(format!(
                "Line {k} of a long conversation about the fleet contract."
            )),
            payload: None,
            at: at(threads + k),
            cloud_media: None,
            media: None,
        });
    }
    for chunk in inbound.chunks(500) {
        let id = store.inbox_push(line.id, b"{}", now)?;
        let work = crate::store::InboxWork {
            inbox_id: id,
            line: line.clone(),
            messages: chunk.to_vec(),
            statuses: Vec::new(),
        };
        store.apply_inbox(&[work], now)?;
    }
    Ok(())
}
