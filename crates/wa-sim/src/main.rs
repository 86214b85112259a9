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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let sim = Simulator::start(SimConfig::demo(), Arc::new(SystemClock), listener).await?;
    if let Some(url) = args.webhook_url {
        sim.set_webhook_url(url);
    }
    tracing::info!(addr = %sim.addr(), "simulator listening");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
