//! The embedded demo (`multiline-demo`: a connector and the Cloud API simulator, seeded, on
//! loopback, in the app's process), started by the core when no connector is configured.
//!
//! Environment (all optional): `MULTILINE_DEMO_SIM_ADDR` (the simulator's address, so tests
//! can drive the guests), `MULTILINE_DEMO_WHATSAPP` (`off`: the demo's organization has
//! WhatsApp turned off), `MULTILINE_DEMO_VOLUME` (`<threads>,<messages>`: benchmark data
//! added to the demo).

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use multiline_client::account::{Demo, DemoError, DemoStarter};
use multiline_client::view::DemoAccount;
use multiline_connector::store::OrgSetting;
use multiline_connector::usecases::accounts;
use multiline_domain::time::OffsetClock;

/// Where the demo's simulator (and its guest phone page) listens when the port is free.
const DEMO_SIM_ADDR: &str = "127.0.0.1:8090";

pub struct EmbeddedDemo;

impl DemoStarter for EmbeddedDemo {
    fn start(
        &self,
        data_dir: PathBuf,
        clock: Arc<OffsetClock>,
        clock_moved: Arc<dyn Fn() + Send + Sync>,
    ) -> Pin<Box<dyn Future<Output = Result<Demo, DemoError>> + Send + '_>> {
        Box::pin(async move {
            start(data_dir, clock, clock_moved)
                .await
                .map_err(|e| DemoError::from(format!("{e:#}")))
        })
    }
}

async fn start(
    data_dir: PathBuf,
    clock: Arc<OffsetClock>,
    clock_moved: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<Demo> {
    // A known port when it is free, so the guest phone page has an address to bookmark.
    let sim_addr = match std::env::var("MULTILINE_DEMO_SIM_ADDR") {
        Ok(addr) => addr.parse()?,
        Err(_) if std::net::TcpListener::bind(DEMO_SIM_ADDR).is_ok() => DEMO_SIM_ADDR.parse()?,
        Err(_) => "127.0.0.1:0".parse()?,
    };
    let demo = multiline_demo::start(multiline_demo::DemoOptions {
        data_dir,
        connector_addr: "127.0.0.1:0".parse()?,
        sim_addr,
        clock: clock.clone(),
        cloud_timeout: None,
        // `MULTILINE_DEMO_SIM_TOKEN`: the end-to-end tests choose the control token; else
        // a random one per run, printed in the guest phone's address below.
        sim_token: std::env::var("MULTILINE_DEMO_SIM_TOKEN").ok(),
    })
    .await?;
    // `MULTILINE_DEMO_WHATSAPP=off|on`: an admin turning WhatsApp off or on for the demo's
    // organization before the app signs in (F1: the app then shows no WhatsApp icon).
    if let Ok(choice) = std::env::var("MULTILINE_DEMO_WHATSAPP") {
        let enabled = match choice.as_str() {
            "on" => true,
            "off" => false,
            other => anyhow::bail!("MULTILINE_DEMO_WHATSAPP is {other:?}: use on or off"),
        };
        accounts::set_org_setting(
            &demo.connector.ctx.env(),
            demo.org,
            &OrgSetting::WhatsappEnabled(enabled),
        )?;
    }
    // `MULTILINE_DEMO_VOLUME=<threads>,<messages>` (benchmarks): that many more
    // conversations, and one of that many messages, added once to the demo's store.
    if let Ok(volume) = std::env::var("MULTILINE_DEMO_VOLUME") {
        let volume = multiline_demo::parse_volume(&volume)
            .map_err(|e| anyhow::anyhow!("MULTILINE_DEMO_VOLUME is {e}"))?;
        demo.add_volume(volume).await?;
    }
    tracing::info!(connector = %demo.connector.url(), simulator = %demo.sim.base_url(), "demo running");
    println!(
        "MultiLine demo: play the customers on the guest phone at {}",
        demo.sim.guest_url()
    );
    demo.sim.set_clock_control(Arc::new(move |by| {
        clock.advance(by);
        clock_moved();
    }));
    Ok(Demo {
        connector_url: demo.connector.url(),
        accounts: multiline_demo::USERS
            .iter()
            .map(|(name, email, password)| DemoAccount {
                name: (*name).to_owned(),
                email: (*email).to_owned(),
                password: (*password).to_owned(),
            })
            .collect(),
        running: Box::new(demo),
    })
}
