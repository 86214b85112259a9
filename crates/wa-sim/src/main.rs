//! `wa-sim`: run the Cloud API simulator on its own, e.g. beside a connector started by hand.

use std::sync::Arc;

use clap::Parser;
use multiline_domain::time::SystemClock;
use wa_sim::{SimConfig, Simulator};

#[derive(Parser)]
#[command(about = "WhatsApp Cloud API simulator")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// The connector's webhook callback URL.
    #[arg(long, env = "WA_SIM_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// The token the control API (`/control/*`, the guest phone) asks for; a random one,
    /// printed at start, when not given.
    #[arg(long, env = "WA_SIM_CONTROL_TOKEN")]
    control_token: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let mut config = SimConfig::demo();
    if let Some(token) = args.control_token {
        config.control_token = token;
    }
    let sim = Simulator::start(config, Arc::new(SystemClock), listener).await?;
    if let Some(url) = args.webhook_url {
        sim.set_webhook_url(url);
    }
    tracing::info!(addr = %sim.addr(), guest_phone = %sim.guest_url(), "simulator listening");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = term.recv() => {}
    }
    Ok(())
}
