//! The real app through a load balancer in front of two connector processes on one
//! PostgreSQL database (issue 19): it signs in, hears a guest live, sends, and when the
//! instance holding its event socket is killed (`SIGKILL`), it reconnects through the
//! balancer to the other and goes on, live.
//!
//! Needs the PostgreSQL cluster `make test` starts (`scripts/with-postgres.sh`) and the
//! built `multiline-connector` and `wa-sim` binaries.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, ensure};
use base64::Engine as _;
use multiline_e2e::{App, KillOnDrop, SimControl, free_port, root, wait_for_port, within};
use serde_json::json;
use wa_sim::balancer::RoundRobin;

use super::installed::{
    add_contact, opt_in_template, send_delivered, set_up_organization, sign_in_opt_in,
};

const EMAIL: &str = "lena@balanced.example";
const PASSWORD: &str = "two instances password";
const GUEST: &str = "12025550166";

/// A binary of this workspace's build (`MULTILINE_<NAME>_BIN` elsewhere).
fn built(name: &str, var: &str) -> std::path::PathBuf {
    std::env::var_os(var)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target/debug").join(name))
}

/// `multiline-connector` on the test's database, with its secrets key.
fn connector(database_url: &str, data: &std::path::Path) -> Command {
    let mut c = Command::new(built("multiline-connector", "MULTILINE_CONNECTOR_BIN"));
    c.env("MULTILINE_DATABASE_URL", database_url)
        .env("MULTILINE_DATA_DIR", data)
        .env(
            "MULTILINE_SECRET_KEY",
            base64::engine::general_purpose::STANDARD.encode([9u8; 32]),
        )
        .env_remove("MULTILINE_CONFIG")
        .env("RUST_LOG", "warn");
    c
}

/// Runs an admin command that must succeed; its standard output, trimmed.
fn admin(mut c: Command, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<String> {
    let output = c.args(args).envs(env.iter().copied()).output()?;
    ensure!(
        output.status.success(),
        "multiline-connector {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// A new database in the test run's cluster.
async fn new_database() -> anyhow::Result<String> {
    let admin_url = std::env::var("MULTILINE_TEST_POSTGRES").context(
        "MULTILINE_TEST_POSTGRES: run through scripts/with-postgres.sh (make test does)",
    )?;
    let name = format!("e2e_balanced_{}", std::process::id());
    let url = admin_url.clone();
    let statement = format!("CREATE DATABASE {name}");
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
        client.batch_execute(&statement)?;
        Ok(())
    })
    .await??;
    let (base, _) = admin_url.rsplit_once('/').context("a database URL")?;
    Ok(format!("{base}/{name}"))
}

/// How many event sockets the instance at `url` holds (its `/metrics`).
async fn sockets(http: &reqwest::Client, url: &str) -> anyhow::Result<f64> {
    let text = http
        .get(format!("{url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix("multiline_event_sockets "))
        .context("multiline_event_sockets in /metrics")?
        .trim()
        .parse()
        .context("a number")
}

#[tokio::test]
async fn the_app_works_through_a_load_balancer_and_goes_on_when_an_instance_dies()
-> anyhow::Result<()> {
    let database_url = new_database().await?;
    let data = tempfile::tempdir()?;
    let sim_port = free_port();
    let sim_url = format!("http://127.0.0.1:{sim_port}");

    // The organization, its user and its number, by the admin command, in PostgreSQL.
    let (org, line) = set_up_organization(
        |args: &[&str], env: &[(&str, &str)]| {
            admin(connector(&database_url, data.path()), args, env)
        },
        ("Balanced Co", "Lena Balanced", EMAIL, PASSWORD),
        &sim_url,
    )?;

    // The balancer in front of two instances (their ports chosen first), the simulator
    // delivering its webhooks through it, then the instances: the app's requests and its
    // socket go through the balancer too.
    let ports = [free_port(), free_port()];
    let balancer = RoundRobin::start(
        ports
            .iter()
            .map(|port| ([127, 0, 0, 1], *port).into())
            .collect(),
    )
    .await?;
    let sim_token = format!("balanced-{}", std::process::id());
    let _sim = KillOnDrop(Some(
        Command::new(built("wa-sim", "MULTILINE_SIM_BIN"))
            .args(["--listen", &format!("127.0.0.1:{sim_port}")])
            .args([
                "--webhook-url",
                &format!("{}/webhooks/whatsapp/{line}", balancer.url()),
            ])
            .args(["--control-token", &sim_token])
            .stdout(Stdio::null())
            .spawn()
            .context("starting the simulator")?,
    ));
    wait_for_port(sim_port, Duration::from_secs(20)).await?;
    let mut instances: Vec<(KillOnDrop, String)> = Vec::new();
    for port in ports {
        let mut serve = connector(&database_url, data.path());
        serve
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--claim-lease",
                "4",
            ])
            .stdout(Stdio::null());
        let child: Child = serve.spawn().context("starting an instance")?;
        instances.push((KillOnDrop(Some(child)), format!("http://127.0.0.1:{port}")));
        wait_for_port(port, Duration::from_secs(30)).await?;
    }
    let sim = SimControl::new(sim_url, sim_token);
    sim.control("/control/templates", opt_in_template()).await?;
    admin(
        connector(&database_url, data.path()),
        &["sync-templates", "--org", &org],
        &[],
    )?;
    sim.control("/control/guests", json!({ "wa_id": GUEST, "name": "Noor" }))
        .await?;
    let http = reqwest::Client::new();
    add_contact(
        &http,
        &balancer.url(),
        (EMAIL, PASSWORD),
        "Noor Balanced",
        GUEST,
    )
    .await?;

    let env = [
        ("MULTILINE_CONNECTOR_URL", balancer.url()),
        ("MULTILINE_EMAIL", EMAIL.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let instances = std::sync::Mutex::new(instances);
    multiline_e2e::run_with("balanced", &env, async |app| {
        scenario(app, &sim, &http, &instances).await
    })
    .await
}

async fn scenario(
    app: &App,
    sim: &SimControl,
    http: &reqwest::Client,
    instances: &std::sync::Mutex<Vec<(KillOnDrop, String)>>,
) -> anyhow::Result<()> {
    // Signed in through the balancer; the opt-in, the guest's "Yes" heard live, a text that
    // WhatsApp delivers.
    sign_in_opt_in(app, sim, PASSWORD, "Noor Balanced", GUEST).await?;
    send_delivered(app, sim, GUEST, "Thank you, Noor. Your order ships today.").await?;

    // The instance holding the app's event socket dies.
    let urls: Vec<String> = instances
        .lock()
        .unwrap()
        .iter()
        .map(|(_, u)| u.clone())
        .collect();
    let mut holder = None;
    for (i, url) in urls.iter().enumerate() {
        if sockets(http, url).await? >= 1.0 {
            holder = Some(i);
        }
    }
    let holder = holder.context("an instance holds the app's event socket")?;
    {
        let mut instances = instances.lock().unwrap();
        let child = instances[holder].0.0.as_mut().context("running")?;
        child.kill()?; // SIGKILL
        child.wait()?;
    }

    // The guest writes again: the app hears it live through the other instance.
    sim.guest_sends(GUEST, "Great, thanks! Which carrier?")
        .await?;
    let inbound = format!("{}[data-direction='inbound']", app.ids.css("messageBubble"));
    app.wait_for_text(&inbound, "Which carrier?").await?;
    let survivor = &urls[1 - holder];
    within(
        multiline_e2e::WAIT,
        "the app's socket on the other instance",
        async {
            while sockets(http, survivor).await? < 1.0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(())
        },
    )
    .await?;
    send_delivered(app, sim, GUEST, "DHL, tracking number in your email.").await?;
    app.screenshot("balanced-after-an-instance-died").await?;
    Ok(())
}
