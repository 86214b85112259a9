//! The demo: a connector on SQLite and the Cloud API simulator on loopback (also playing
//! Twilio for SMS and voicemail), seeded with an organization (WhatsApp enabled), two users,
//! contacts, a guest who has consented and written recently, an SMS, a voicemail, and
//! approved templates. `make run` starts it inside the app; `multiline-demo` runs it alone
//! (the UI benchmark's connector); the connector's and the app core's tests start it
//! directly. A crate of its own so that the production connector does not link the
//! simulator.
//!
//! It goes through the connector's use cases only, as an admin and the guests would.
//!
//! Seeding happens once per data folder; the line's Cloud API URL is refreshed on every start
//! because the simulator's port changes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use multiline_connector::ctx::Ctx;
use multiline_connector::providers::whatsapp::CloudApi;
use multiline_connector::server::Connector;
use multiline_connector::store::sqlite::SqliteStore;
use multiline_connector::store::{
    CarrierAccount, GuestIds, MessageAbout, NewLine, Store, StoreExt,
};
use multiline_connector::usecases::receive::{Arrivals, Inbound, ReceivedMedia};
use multiline_connector::usecases::{Env, accounts, contacts, receive, threads};
use multiline_domain::api::{Channel, ContactPhone, MessageBody};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{MediaId, OrganizationId};
use multiline_domain::phone::E164;
use multiline_domain::time::{Clock, Timestamp};
use serde_json::json;
use tokio::net::TcpListener;
use wa_sim::{SimConfig, Simulator, Template};

/// The demo's users: (name, email, password).
/// The demo's guest known by a username: (number, profile name, username).
pub const USERNAME_GUEST: (&str, &str, &str) = ("16505559876", "Alex Rivera", "@alexrivera");

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
    /// How long the connector waits for the Cloud API's answer (tests of a lost answer
    /// shorten it); the connector's 20 s when `None`.
    pub cloud_timeout: Option<std::time::Duration>,
    /// The simulator's control token (the end-to-end tests choose it); a random one when
    /// `None`.
    pub sim_token: Option<String>,
}

pub struct Demo {
    pub connector: Connector,
    pub sim: Simulator,
    pub org: OrganizationId,
}

/// Refuses an address other machines reach unless `public` (`--i-know-this-is-public`):
/// the demo's users and passwords are printed and published, and its guest phone takes
/// anyone's messages.
pub fn loopback_unless_public(addrs: &[std::net::SocketAddr], public: bool) -> anyhow::Result<()> {
    match addrs.iter().find(|a| !a.ip().is_loopback()) {
        Some(addr) if !public => anyhow::bail!(
            "{addr} is reachable from other machines, and the demo's users and passwords are \
             public: listen on 127.0.0.1, or pass --i-know-this-is-public"
        ),
        _ => Ok(()),
    }
}

/// Starts the simulator and the connector, seeding the store on first use.
pub async fn start(options: DemoOptions) -> anyhow::Result<Demo> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating {}", options.data_dir.display()))?;
    let path = options.data_dir.join("connector.sqlite3");
    let store: Arc<dyn Store> =
        Arc::new(tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??);
    start_on(store, options).await
}

/// [`start`] on a store the caller opened (the tests' PostgreSQL database); `data_dir` is
/// not used.
pub async fn start_on(store: Arc<dyn Store>, options: DemoOptions) -> anyhow::Result<Demo> {
    let sim_listener = TcpListener::bind(options.sim_addr)
        .await
        .context("binding the simulator")?;
    let listener = TcpListener::bind(options.connector_addr)
        .await
        .context("binding the connector")?;
    let mut sim_config = SimConfig::demo();
    if let Some(token) = options.sim_token.clone() {
        sim_config.control_token = token;
    }
    let sim = Simulator::start(sim_config, options.clock.clone(), sim_listener).await?;
    for template in templates() {
        sim.add_template(template);
    }
    for (name, _, number, _) in CONTACTS {
        sim.add_guest(number.trim_start_matches('+'), name);
    }
    // A WhatsApp user with a username who does not share their number (not a contact): on
    // the guest phone, a thread that knows them by their user id only.
    sim.add_username_guest(USERNAME_GUEST.0, USERNAME_GUEST.1, USERNAME_GUEST.2);

    let mut ctx = Ctx::new(store, options.clock);
    if let Some(timeout) = options.cloud_timeout {
        ctx.whatsapp = Arc::new(CloudApi::with_timeout(timeout));
    }
    let sim_url = sim.base_url();
    let seeding = ctx.clone();
    let (org, line_id, recent) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let env = seeding.env();
        let org = match accounts::organizations(&env)?.first() {
            Some(org) => org.id,
            None => seed(&env)?,
        };
        let owner = accounts::user_by_email(&env, USERS[0].1)?.context("the demo owner exists")?;
        let config = SimConfig::demo();
        // The simulator's port changes at every start: the line follows it.
        let line = accounts::connect_line(
            &env,
            org,
            &NewLine {
                phone_number_id: config.phone_number_id,
                waba_id: config.waba_id,
                display_phone_number: config.display_phone_number,
                access_token: config.access_token,
                app_secret: config.app_secret,
                verify_token: "demo-verify-token".into(),
                api_base_url: sim_url.clone(),
                api_version: multiline_domain::graph_version::DEFAULT.into(),
                owner_user_id: owner,
            },
        )?;
        // The line's SMS and voicemail carrier: the simulator playing Twilio.
        let account = wa_sim::TwilioAccount::demo();
        accounts::set_line_carrier(
            &env,
            line,
            Some(&CarrierAccount {
                provider: "twilio".into(),
                account_sid: account.account_sid,
                auth_token: account.auth_token,
                api_base_url: sim_url.clone(),
                number: E164::parse(&account.number, None)?,
            }),
        )?;
        if threads::last_guest_messages(&env, line)?.is_empty() {
            seed_conversations(&env, line)?;
        }
        Ok((org, line, threads::last_guest_messages(&env, line)?))
    })
    .await??;
    for (guest, at) in recent {
        sim.set_guest_last_message_at(guest.wa_id(), at);
    }
    let connector = Connector::start_with(ctx, listener, None).await?;
    sim.set_webhook_url(connector.webhook_url(line_id));
    sim.set_twilio_webhooks(
        connector.carrier_webhook_url(line_id, "sms"),
        connector.carrier_webhook_url(line_id, "voice"),
    );
    multiline_connector::template_sync::sync(&connector.ctx, line_id).await?;
    Ok(Demo {
        connector,
        sim,
        org,
    })
}

/// The organization, its users and its address book.
fn seed(env: &Env<'_>) -> anyhow::Result<OrganizationId> {
    let org = accounts::create_organization(env, "Northwind Motors", true)?;
    for (name, email, password) in USERS {
        accounts::create_user(env, org, name, email, password)?;
    }
    for (name, company, number, _) in CONTACTS {
        let phone = ContactPhone {
            number: E164::parse(number, None)?,
            label: "mobile".into(),
        };
        contacts::add_contact(env, org, name, company, &[phone])?;
    }
    Ok(org)
}

/// Once, when the line is new: the consents, Ana's WhatsApp message two hours ago (her
/// window is open), an SMS from Ben (yesterday) and a voicemail from David (this morning),
/// so that the Messages tab shows every channel (F22), Ana's on top.
fn seed_conversations(env: &Env<'_>, line: uuid::Uuid) -> anyhow::Result<()> {
    let now = env.now;
    for (_, _, number, consented) in CONTACTS {
        if consented {
            let consent = Consent::Granted {
                at: now - chrono::Duration::days(3),
                reply: "YES".into(),
            };
            threads::set_guest_consent(env, line, E164::parse(number, None)?.as_str(), &consent)?;
        }
    }
    let line = accounts::line(env, line)?;
    let inbound = |wamid: &str, channel, from: &str, body, at, media| -> anyhow::Result<Inbound> {
        Ok(Inbound {
            wamid: wamid.into(),
            channel,
            guest: GuestIds::phone(E164::parse(from, None)?),
            guest_name: None,
            body,
            payload: None,
            at,
            media,
            about: MessageAbout::default(),
        })
    };
    let text = |text: &str| MessageBody::Text { text: text.into() };
    let ana_at = now - chrono::Duration::hours(2);
    let sms_at = now - chrono::Duration::hours(26);
    let call_at = now - chrono::Duration::hours(5);
    let arrivals = [
        (
            inbound(
                "SMDEMOSEED0000000000000000000001",
                Channel::Sms,
                CONTACTS[1].2,
                text("Could you text me the invoice total for the brake job?"),
                sms_at,
                None,
            )?,
            sms_at,
        ),
        (
            inbound(
                "REDEMOSEED0000000000000000000001",
                Channel::Voicemail,
                CONTACTS[3].2,
                MessageBody::Voicemail {
                    media_id: MediaId(uuid::Uuid::nil()),
                    duration_secs: 9,
                    transcript: Some(
                        "Hi, it's David from Okafor and Sons. We'd like to book the fleet service for Monday. Please call me back."
                            .into(),
                    ),
                    heard_at: None,
                },
                call_at,
                Some(ReceivedMedia {
                    bytes: wa_sim::recording_wav(9),
                    mime_type: "audio/x-wav".into(),
                    width: 0,
                    height: 0,
                }),
            )?,
            call_at,
        ),
        (
            inbound(
                "wamid.DEMO-SEED-1",
                Channel::Whatsapp,
                CONTACTS[0].2,
                text("Hi! Is my car ready for pickup on Friday?"),
                ana_at,
                None,
            )?,
            ana_at,
        ),
    ];
    for (message, at) in arrivals {
        // Received when it was sent: the stored times are the seed's, not the start's.
        let at_then = Env { now: at, ..*env };
        receive::receive(&at_then, &line, &message)?;
    }
    Ok(())
}

/// The demo's templates, in Meta's listing shape (one not yet approved, one paused).
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
        // A picture header, a URL button with a variable ending, a copy code and a quick reply
        // (Meta's listing shape: developers.facebook.com/documentation/business-messaging/
        // whatsapp/templates/components).
        t(
            "1005",
            "summer_sale",
            "APPROVED",
            "MARKETING",
            json!([
                { "type": "HEADER", "format": "IMAGE",
                  "example": { "header_handle": ["https://scontent.whatsapp.net/v/t61/summer-sale.jpg"] } },
                { "type": "BODY", "text": "Hi {{1}}, our summer sale is on: 20% off every service until Sunday.",
                  "example": { "body_text": [["Ana"]] } },
                { "type": "FOOTER", "text": "Reply STOP to opt out" },
                { "type": "BUTTONS", "buttons": [
                    { "type": "URL", "text": "Book now", "url": "https://northwind.example/book/{{1}}",
                      "example": ["https://northwind.example/book/summer"] },
                    { "type": "COPY_CODE", "example": "SUMMER20" },
                    { "type": "QUICK_REPLY", "text": "Not interested" }
                ] }
            ]),
        ),
        t(
            "1007",
            "invoice_ready",
            "APPROVED",
            "UTILITY",
            json!([
                { "type": "HEADER", "format": "DOCUMENT",
                  "example": { "header_handle": ["https://northwind.example/templates/invoice.pdf"] } },
                { "type": "BODY", "text": "Hi {{1}}, your invoice is ready.",
                  "example": { "body_text": [["Ana"]] } }
            ]),
        ),
        t(
            "1006",
            "winter_teaser",
            "PAUSED",
            "MARKETING",
            json!([
                { "type": "BODY", "text": "Winter tyres are back in stock, {{1}}.",
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
        let ctx = self.connector.ctx.clone();
        let org = self.org;
        tokio::task::spawn_blocking(move || {
            let env = ctx.env();
            let line = accounts::line_of_org(&env, org)?.id;
            seed_volume(&env, line, threads, messages)
        })
        .await?
    }
}

/// For benchmarks: `threads` more conversations (one message each, from guests not in the
/// address book) and one conversation of `messages` messages, the newest of all. Added once:
/// a store that has them is left as it is. Applied as the inbox worker applies webhooks,
/// 500 messages per transaction.
pub fn seed_volume(
    env: &Env<'_>,
    line: uuid::Uuid,
    threads: usize,
    messages: usize,
) -> anyhow::Result<()> {
    const DONE: &str = "wamid.VOLUME-DONE";
    anyhow::ensure!(
        messages > 0,
        "the long conversation needs at least one message"
    );
    if receive::knows(env, DONE)? {
        return Ok(());
    }
    let now = env.now;
    let line = accounts::line(env, line)?;
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
    let at = |k: usize| -> Timestamp { now - chrono::Duration::seconds((total - k) as i64) };
    let message = |wamid: String, from: E164, text: String, at: Timestamp| Inbound {
        wamid,
        channel: Channel::Whatsapp,
        guest: GuestIds::phone(from),
        guest_name: None,
        body: MessageBody::Text { text },
        payload: None,
        at,
        media: None,
        about: MessageAbout::default(),
    };
    let mut inbound = Vec::with_capacity(total);
    for k in 0..threads {
        let from = numbers.next().context("enough numbers")?;
        inbound.push(message(
            format!("wamid.VOLUME-T{k}"),
            from,
            format!("Message {k}: is my order on its way?"),
            at(k),
        ));
    }
    let long = numbers
        .next()
        .context("a number for the long conversation")?;
    for k in 0..messages {
        let wamid = if k + 1 == messages {
            DONE.to_owned()
        } else {
            format!("wamid.VOLUME-M{k}")
        };
        inbound.push(message(
            wamid,
            long.clone(),
            format!("Line {k} of a long conversation about the fleet contract."),
            at(threads + k),
        ));
    }
    for chunk in inbound.chunks(500) {
        let arrivals = Arrivals {
            messages: chunk.to_vec(),
            ..Arrivals::default()
        };
        env.store
            .write(|tx| receive::apply(env, tx, &line, &arrivals))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_unless_told_the_demo_is_public() {
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        let local = [at("127.0.0.1:8080"), at("[::1]:8090")];
        assert!(super::loopback_unless_public(&local, false).is_ok());
        let open = [at("127.0.0.1:8080"), at("0.0.0.0:8090")];
        let refused = super::loopback_unless_public(&open, false).unwrap_err();
        assert!(
            refused.to_string().contains("--i-know-this-is-public"),
            "{refused}"
        );
        assert!(super::loopback_unless_public(&open, true).is_ok());
    }
}
