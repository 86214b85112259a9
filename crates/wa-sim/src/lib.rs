//! A stand-in for Meta's WhatsApp Business Cloud API, faithful to the part the connector uses
//! (see ../shared/whatsapp-cloud-api.md): bearer-checked sends, approved templates, the
//! guest's 24-hour window (131047), signed webhooks in Meta's payload shapes, delivered in
//! order with retries. Simulated guests are driven through a control API under `/control`,
//! which also injects faults (error codes, 5xx, 429, delays, unreachable guests, duplicated
//! and reordered webhooks).
//!
//! It plays Twilio too (SMS and voicemail, F22): see the `twilio` module.
//!
//! Its types are written from Meta's documentation independently of the connector's, on
//! purpose: a shared mistake would hide from both sides' tests.

/// A fresh opaque id for what the simulated services name (wamids, Twilio SIDs, media
/// download links). Those ids are Meta's and Twilio's own, random to whoever receives them:
/// the simulator draws them from the system, never from the connector's injected ids.
#[allow(clippy::disallowed_methods)] // see above: another system's ids, not ours
pub(crate) fn opaque_id() -> uuid::fmt::Simple {
    uuid::Uuid::now_v7().simple()
}

mod api;
pub mod balancer;
mod control;
mod graph_error;
mod inbound;
mod outbound;
pub mod samples;
mod state;
mod twilio;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use multiline_domain::time::Clock;
use tokio::net::TcpListener;

pub use inbound::GuestMessage;
pub use state::{ClockControl, Fault, Guest, Received, SimConfig, SimError, Template};
pub use twilio::{
    Exchange, FileKind, Text, TwilioAccount, recording as recording_wav, twilio_signature,
};
pub use webhooks::{meta_json, signature};

/// A running simulator.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<state::SimState>,
    twilio: Arc<twilio::TwilioState>,
    addr: SocketAddr,
}

impl Simulator {
    /// Serves the simulator on `listener` until the process ends.
    pub async fn start(
        config: SimConfig,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> std::io::Result<Simulator> {
        let addr = listener.local_addr()?;
        let state = state::SimState::new(config, clock);
        *state.base_url.lock().unwrap_or_else(|e| e.into_inner()) = format!("http://{addr}");
        let twilio = twilio::TwilioState::new(TwilioAccount::demo());
        twilio.set_base_url(format!("http://{addr}"));
        let token = state.config.control_token.clone();
        let app = api::router(state.clone())
            .merge(control::router(state.clone()))
            .merge(twilio::router(twilio.clone()))
            .layer(axum::middleware::from_fn(move |request, next| {
                control::guard(token.clone(), request, next)
            }));
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "simulator server stopped");
            }
        });
        Ok(Simulator {
            state,
            twilio,
            addr,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Graph API base URL, without the version: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The guest phone's page, with the control token in its fragment (never sent to the
    /// server or in a referrer; the page sends it with each request).
    pub fn guest_url(&self) -> String {
        format!(
            "{}/guest#token={}",
            self.base_url(),
            self.state.config.control_token
        )
    }

    /// What `/control` requests carry as `X-Sim-Token`.
    pub fn control_token(&self) -> &str {
        &self.state.config.control_token
    }

    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    /// Where webhooks go (the connector's callback URL).
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.state.set_webhook_url(url.into());
    }

    pub fn add_guest(&self, wa_id: &str, name: &str) {
        self.state.add_guest(wa_id, name);
    }

    /// A guest with a username who does not share their number: webhooks name them by
    /// their business-scoped user id only; sends reach them by `recipient`.
    pub fn add_username_guest(&self, wa_id: &str, name: &str, username: &str) {
        self.state.add_username_guest(wa_id, name, username);
    }

    /// The guest's business-scoped user id.
    pub fn guest_user_id(&self, wa_id: &str) -> Option<String> {
        self.state
            .world()
            .guests
            .get(wa_id)
            .map(|g| g.user_id.clone())
    }

    /// The guest sends any kind of message (files are the samples). Returns the wamid.
    pub fn guest_sends(
        &self,
        wa_id: &str,
        message: GuestMessage,
    ) -> Result<String, state::SimError> {
        self.state.guest_sends(wa_id, message)
    }

    /// The guest opens the business's chat: what they received is read (`read` statuses),
    /// and what comes in the next 30 seconds is read at once. Answers how many were read.
    pub fn guest_reads(&self, wa_id: &str) -> Result<usize, state::SimError> {
        self.state.guest_reads(wa_id)
    }

    /// Stores a file under a given media id (as Meta would hold a guest's file): a test
    /// replaying Meta's payloads makes their media downloadable.
    pub fn put_media(&self, id: &str, bytes: Vec<u8>, mime_type: &str) {
        self.state.put_media(id, bytes, mime_type);
    }

    /// The next accepted sends get these wamids, in order.
    pub fn assign_next_wamids(&self, wamids: impl IntoIterator<Item = String>) {
        self.state.world().next_wamids.extend(wamids);
    }

    /// No status webhooks follow accepted sends (a test plays Meta's own), or they do again.
    pub fn set_quiet_statuses(&self, quiet: bool) {
        self.state.world().quiet_statuses = quiet;
    }

    /// Media lookups and downloads fail (HTTP 500, code 2) until `until` by the simulator's
    /// clock: an outage.
    pub fn fail_media_until(&self, until: multiline_domain::time::Timestamp) {
        self.state.world().media_down_until = Some(until);
    }

    /// The webhook bodies delivered lately, oldest first, exactly as sent (and signed).
    pub fn webhook_bodies(&self) -> Vec<Vec<u8>> {
        self.state.delivery.log()
    }

    pub fn add_template(&self, template: Template) {
        self.state.add_template(template);
    }

    /// The guest writes to the business: a signed `messages` webhook. Returns the wamid.
    pub fn guest_sends_text(&self, wa_id: &str, text: &str) -> Result<String, state::SimError> {
        self.state.guest_sends_text(wa_id, text)
    }

    /// The guest sends a picture (with an optional caption). Returns the wamid.
    pub fn guest_sends_image(
        &self,
        wa_id: &str,
        bytes: Vec<u8>,
        mime_type: &str,
        caption: Option<&str>,
    ) -> Result<String, state::SimError> {
        self.state
            .guest_sends_image(wa_id, bytes, mime_type, caption)
    }

    /// The ids of every stored media file (uploads and guests' pictures).
    pub fn media_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.state.world().media.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// A stored media file's bytes (what the business uploaded, or a guest sent).
    pub fn media(&self, id: &str) -> Option<Vec<u8>> {
        self.state.world().media.get(id).map(|m| m.bytes.clone())
    }

    /// The guest answers the latest template with its quick-reply button. Returns the wamid.
    pub fn guest_presses_button(
        &self,
        wa_id: &str,
        payload: &str,
        text: &str,
    ) -> Result<String, state::SimError> {
        self.state.guest_presses_button(wa_id, payload, text)
    }

    /// The next `count` Graph API calls (sends, media) play `fault`. Planned faults queue up.
    pub fn inject_fault(&self, fault: Fault, count: u32) {
        self.state.inject_fault(fault, count);
    }

    /// Meta changes a template's status (every language of `name`) and tells the business
    /// by a `message_template_status_update` webhook.
    pub fn set_template_status(&self, name: &str, status: &str) -> Result<(), state::SimError> {
        self.state.template_status(name, status, None)
    }

    /// Calls the planned faults still wait for (0 once the last one was played).
    pub fn faults_pending(&self) -> u32 {
        self.state.world().faults.iter().map(|(_, n)| n).sum()
    }

    /// Lets the calls a [`Fault::Hold`] holds go on.
    pub fn release_held(&self) {
        self.state.releases.send_modify(|n| *n += 1);
    }

    /// Takes the guest's phone off the network (sends then fail with 131026) or back.
    pub fn set_reachable(&self, wa_id: &str, reachable: bool) {
        self.state.set_reachable(wa_id, reachable);
    }

    /// The next `n` webhooks are delivered twice each.
    pub fn duplicate_next_webhooks(&self, n: u32) {
        self.state.world().duplicate_next += n;
    }

    /// The next `n` webhooks are held, then delivered newest first.
    pub fn reorder_next_webhooks(&self, n: u32) {
        self.state.world().reorder_next += n;
    }

    /// How many calls were refused for naming `version` after Meta's end date for it.
    pub fn refused_calls(&self, version: &str) -> u32 {
        self.state
            .world()
            .refused_versions
            .get(version)
            .copied()
            .unwrap_or(0)
    }

    /// Everything the business sent to this guest and the Cloud API accepted, oldest first.
    pub fn received(&self, wa_id: &str) -> Vec<Received> {
        self.state.received(wa_id)
    }

    /// How many times the templates were listed (a connector's template sync).
    pub fn template_listings(&self) -> usize {
        self.state.world().template_listings
    }

    /// Records that the guest last wrote at `at` (demo seeding), opening Meta's 24 h window.
    pub fn set_guest_last_message_at(&self, wa_id: &str, at: multiline_domain::time::Timestamp) {
        self.state.set_guest_last_message_at(wa_id, at);
    }

    /// Lets `POST /control/clock/advance` move the clock the demo shares with the connector
    /// and the app (so a person or an end-to-end test can skip 24 hours).
    pub fn set_clock_control(&self, control: ClockControl) {
        *self
            .state
            .clock_control
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(control);
    }

    /// The Twilio account the simulator also plays (SMS and voicemail).
    pub fn twilio_account(&self) -> &TwilioAccount {
        &self.twilio.account
    }

    /// Where the Twilio number's webhooks go: a text comes in, a call comes in.
    pub fn set_twilio_webhooks(&self, sms_url: impl Into<String>, voice_url: impl Into<String>) {
        self.twilio.set_webhooks(sms_url.into(), voice_url.into());
    }

    /// The phone `from` (E.164) texts the business's number. Returns the message's sid.
    pub fn guest_texts(&self, from: &str, text: &str) -> Result<String, String> {
        self.twilio.guest_texts(from, text)
    }

    /// The phone `from` texts a picture (MMS) with `text`. Returns the message's sid.
    pub fn guest_texts_picture(
        &self,
        from: &str,
        text: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<String, String> {
        self.twilio
            .guest_texts_picture(from, text, bytes, content_type)
    }

    /// The phone `from` calls the business's number and leaves a `seconds`-long voicemail;
    /// `transcript` is what the transcription reads. Returns the call's sid.
    pub fn guest_leaves_voicemail(
        &self,
        from: &str,
        seconds: u32,
        transcript: Option<&str>,
    ) -> Result<String, String> {
        self.twilio
            .guest_leaves_voicemail(from, seconds, transcript)
    }

    /// Every text the business sent to `to` (E.164) and Twilio accepted, oldest first.
    pub fn texts_received(&self, to: &str) -> Vec<Text> {
        self.twilio.texts(to)
    }

    /// The number opts out of texts at the carrier, unseen by the business (sends get 21610).
    pub fn set_sms_opted_out(&self, phone: &str) {
        self.twilio.set_opted_out(phone);
    }

    /// The next `count` recording downloads fail with a 503, as a carrier hiccup would.
    pub fn fail_recording_downloads(&self, count: u32) {
        self.twilio.fail_recording_downloads(count);
    }

    /// The next `count` downloads of guests' MMS files fail with a 503 (the carrier's
    /// media server down).
    pub fn fail_media_downloads(&self, count: u32) {
        self.twilio.fail_media_downloads(count);
    }

    /// What crossed between the business and the simulated carrier, in order.
    pub fn carrier_exchanges(&self) -> Vec<Exchange> {
        self.twilio.exchanges()
    }

    /// Takes the phone off the network for texts (they end `undelivered`, 30003) or back.
    pub fn set_sms_reachable(&self, phone: &str, reachable: bool) {
        self.twilio.set_reachable(phone, reachable);
    }

    /// Webhook deliveries not yet acknowledged with a 200.
    pub fn pending_webhooks(&self) -> usize {
        self.state.pending_webhooks()
    }
}
