//! The installed packages, as an organization and a user get them: the connector's service
//! command line (read from the installed systemd unit) run as the service's user with the
//! installed settings, set up with the installed admin command, and the installed app signing
//! in to it and sending a message to a guest on the simulator.
//!
//! Needs the packages installed and root (to act as the service's user):
//! `scripts/test-package.sh` (`make test-package`, called by `make test`) builds, installs,
//! checks, runs this, and removes them. Ignored in a plain test run.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use multiline_e2e::{App, KillOnDrop, SimControl, free_port, root, wait_for_port, within};
use serde_json::{Value, json};

const UNIT: &str = "/lib/systemd/system/multiline-connector.service";
const ADMIN: &str = "/usr/bin/multiline-admin";
const APP: &str = "/usr/bin/multiline";
const EMAIL: &str = "ines@installed.example";
const PASSWORD: &str = "installed package password";
/// A guest the simulator plays (its demo number's Cloud API account answers for the line).
const GUEST: &str = "12025550188";

#[tokio::test]
#[ignore = "needs the packages installed, as root: scripts/test-package.sh runs it"]
async fn the_installed_app_signs_in_to_the_installed_connector_and_sends() -> anyhow::Result<()> {
    ensure!(
        std::env::var("MULTILINE_APP_BIN").as_deref() == Ok(APP),
        "MULTILINE_APP_BIN must be the installed app, {APP}"
    );
    let (user, exec_start) = service_command()?;
    let sim_port = free_port();
    let sim_url = format!("http://127.0.0.1:{sim_port}");

    // The organization, its user and its WhatsApp number, by the installed admin command.
    let (org, line) = set_up_organization(
        admin,
        ("Installed Co", "Ines Installed", EMAIL, PASSWORD),
        &sim_url,
    )?;

    // The connector as its unit starts it (the port moved by the environment, which wins
    // over the file: the test must not depend on 8080 being free).
    let port = free_port();
    let connector_url = format!("http://127.0.0.1:{port}");
    let sim_token = format!("installed-{}", std::process::id());
    let sim_bin = std::env::var_os("MULTILINE_SIM_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target/debug/wa-sim"));
    let _sim = KillOnDrop(Some(
        Command::new(&sim_bin)
            .args(["--listen", &format!("127.0.0.1:{sim_port}")])
            .args([
                "--webhook-url",
                &format!("{connector_url}/webhooks/whatsapp/{line}"),
            ])
            .args(["--control-token", &sim_token])
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting the simulator {}", sim_bin.display()))?,
    ));
    wait_for_port(sim_port, Duration::from_secs(20)).await?;
    // The business's opt-in template, approved at Meta, fetched by the admin command.
    let sim = SimControl::new(sim_url, sim_token);
    sim.control("/control/templates", opt_in_template()).await?;
    admin(&["sync-templates", "--org", &org], &[])?;
    sim.control("/control/guests", json!({ "wa_id": GUEST, "name": "Ben" }))
        .await?;
    // As the unit's user (no `runuser` between: killed, the test kills the connector).
    let (uid, gid) = (id(&["-u", &user])?, id(&["-g", &user])?);
    let mut connector = KillOnDrop(Some(
        Command::new(&exec_start[0])
            .args(&exec_start[1..])
            .uid(uid)
            .gid(gid)
            .env("MULTILINE_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()
            .context("starting the installed connector")?,
    ));
    wait_for_port(port, Duration::from_secs(20)).await?;
    let http = reqwest::Client::new();
    let version: Value = http
        .get(format!("{connector_url}/v1/version"))
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        version["version"] == env!("CARGO_PKG_VERSION"),
        "the installed connector is this release: {version}"
    );
    add_contact(
        &http,
        &connector_url,
        (EMAIL, PASSWORD),
        "Ben Installed",
        GUEST,
    )
    .await?;

    let env = [
        ("MULTILINE_CONNECTOR_URL", connector_url.as_str()),
        ("MULTILINE_EMAIL", EMAIL),
    ];
    multiline_e2e::run_with("installed", &env, async |app| scenario(app, &sim).await).await?;

    // `systemctl stop`: SIGTERM, and the connector finishes and exits cleanly.
    let child = connector.0.as_mut().expect("running");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    ensure!(status.success(), "kill -TERM");
    let exited = within(Duration::from_secs(20), "the connector to stop", async {
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await?;
    ensure!(
        exited.success(),
        "the connector stopped on SIGTERM: {exited}"
    );
    connector.0 = None;
    Ok(())
}

async fn scenario(app: &App, sim: &SimControl) -> anyhow::Result<()> {
    // The installed app set WebKit's options itself (src-tauri/src/engine.rs).
    let (pid, _) = multiline_e2e::app_processes(&app.data_dir)?;
    ensure!(
        multiline_e2e::environ_var(pid, "JSC_useJIT").as_deref() == Some("0"),
        "the installed app runs without the JIT"
    );

    // Signing in: the connector and the email are given, the password typed.
    sign_in_opt_in(app, sim, PASSWORD, "Ben Installed", GUEST).await?;
    send_delivered(
        app,
        sim,
        GUEST,
        "Hello Ben, this comes from the installed app.",
    )
    .await?;
    app.screenshot("installed-app-sent").await?;
    Ok(())
}

/// An organization with a user and a WhatsApp number on the simulator at `sim_url`, made
/// with the admin commands `admin` runs (`(arguments, environment)`: its standard output);
/// `(organization name, user name, email, password)`. Its id and the line's.
pub(super) fn set_up_organization(
    admin: impl Fn(&[&str], &[(&str, &str)]) -> anyhow::Result<String>,
    (company, name, email, password): (&str, &str, &str, &str),
    sim_url: &str,
) -> anyhow::Result<(String, String)> {
    let org = admin(&["org", "create", "--name", company], &[])?;
    admin(
        &[
            "create-user",
            "--org",
            &org,
            "--name",
            name,
            "--email",
            email,
        ],
        &[("MULTILINE_PASSWORD", password)],
    )?;
    let line = admin(
        &[
            "connect-number",
            "--org",
            &org,
            "--phone-number-id",
            "106540352242922",
            "--waba-id",
            "102290129340398",
            "--display-number",
            "15550001111",
            "--owner-email",
            email,
            "--api-base-url",
            sim_url,
        ],
        &[
            ("WHATSAPP_ACCESS_TOKEN", "demo-access-token"),
            ("WHATSAPP_APP_SECRET", "demo-app-secret"),
            ("WHATSAPP_VERIFY_TOKEN", "e2e-verify-token"),
        ],
    )?;
    admin(&["org", "enable-whatsapp", "--org", &org], &[])?;
    Ok((org, line))
}

/// Signs in with `password` (the connector and the email given to the app), then asks the
/// contact `contact` (WhatsApp id `guest`) for consent with the opt-in template; the guest
/// answers "Yes", and the app shows it.
pub(super) async fn sign_in_opt_in(
    app: &App,
    sim: &SimControl,
    password: &str,
    contact: &str,
    guest: &str,
) -> anyhow::Result<()> {
    app.wait_for("signIn").await?;
    app.wait_for("signInPassword")
        .await?
        .send_keys(password)
        .await?;
    app.click("signInSubmit").await?;
    app.click("navContacts").await?;
    app.click_text(&app.ids.css("contactRow"), contact).await?;
    app.click("whatsappButton").await?;
    app.wait_for("optInDialog").await?;
    app.click("optInConfirm").await?;
    sim.wait_received_template(guest, "optin_request").await?;
    sim.guest_sends(guest, "Yes").await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, "Yes").await?;
    Ok(())
}

/// Types `text` in the open thread and sends it; waits until the guest `guest` has it and
/// the app shows it delivered.
pub(super) async fn send_delivered(
    app: &App,
    sim: &SimControl,
    guest: &str,
    text: &str,
) -> anyhow::Result<()> {
    let input = app.ids.css("composerInput");
    within(multiline_e2e::WAIT, "the composer to unlock", async {
        while !app.wait_for_css(&input).await?.is_enabled().await? {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
    .await?;
    app.wait_for_css(&input).await?.send_keys(text).await?;
    app.click("composerSend").await?;
    sim.wait_received(guest, text).await?;
    let delivered = format!(
        "{}[data-direction='outbound'][data-state='delivered']",
        app.ids.css("messageBubble")
    );
    app.wait_for_text(&delivered, text).await?;
    Ok(())
}

/// The opt-in template, in Meta's listing shape (GET /{waba-id}/message_templates).
pub(super) fn opt_in_template() -> Value {
    json!({
        "id": "2001",
        "name": "optin_request",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "components": [
            { "type": "BODY", "text": "Hi {{1}}, this is {{2}}. May we send you messages here on WhatsApp? Reply YES to agree or STOP to opt out.",
              "example": { "body_text": [["Ben", "Installed Co"]] } },
            { "type": "BUTTONS", "buttons": [
                { "type": "QUICK_REPLY", "text": "Yes" }, { "type": "QUICK_REPLY", "text": "No" } ] }
        ]
    })
}

/// The installed unit's `User=` and `ExecStart=` command line.
fn service_command() -> anyhow::Result<(String, Vec<String>)> {
    let unit = std::fs::read_to_string(UNIT).with_context(|| format!("reading {UNIT}"))?;
    let value = |key: &str| {
        unit.lines()
            .find_map(|line| line.strip_prefix(key))
            .map(str::trim)
            .with_context(|| format!("{UNIT} has no {key}"))
    };
    let user = value("User=")?.to_owned();
    let exec: Vec<String> = value("ExecStart=")?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if exec.first().map(String::as_str) != Some("/usr/bin/multiline-connector") {
        bail!("the unit starts {exec:?}");
    }
    Ok((user, exec))
}

/// `id ARGS`: a user's id or group id.
fn id(args: &[&str]) -> anyhow::Result<u32> {
    let output = Command::new("id").args(args).output()?;
    ensure!(output.status.success(), "id {args:?}");
    Ok(String::from_utf8(output.stdout)?.trim().parse()?)
}

/// Runs the installed admin command; answers its standard output, trimmed.
fn admin(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<String> {
    let output = Command::new(ADMIN)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .with_context(|| format!("running {ADMIN}"))?;
    ensure!(
        output.status.success(),
        "multiline-admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// The guest `name` (WhatsApp id `wa_id`), in the address book of `email`'s organization
/// (through the API, as another app would).
pub(super) async fn add_contact(
    http: &reqwest::Client,
    url: &str,
    (email, password): (&str, &str),
    name: &str,
    wa_id: &str,
) -> anyhow::Result<()> {
    let session: Value = http
        .post(format!("{url}/v1/session"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = session["token"].as_str().context("a token")?;
    http.post(format!("{url}/v1/contacts"))
        .bearer_auth(token)
        .json(&json!({
            "name": name,
            "phones": [{ "number": format!("+{wa_id}"), "label": "mobile" }],
        }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
