//! `multiline-connector`: the connector server and its admin commands.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use multiline_connector::demo::{self, DemoOptions};
use multiline_domain::time::SystemClock;

#[derive(Parser)]
#[command(about = "MultiLine WhatsApp connector")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the demo: the connector and the Cloud API simulator, seeded, on loopback.
    Demo {
        /// Where the demo keeps its SQLite file.
        #[arg(long, env = "MULTILINE_DATA_DIR", default_value = "./demo-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        #[arg(long, default_value = "127.0.0.1:8090")]
        sim_listen: std::net::SocketAddr,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Demo {
            data_dir,
            listen,
            sim_listen,
        } => {
            let demo = demo::start(DemoOptions {
                data_dir,
                connector_addr: listen,
                sim_addr: sim_listen,
                clock: Arc::new(SystemClock),
            })
            .await?;
            tracing::info!(connector = %demo.connector.url(), simulator = %demo.sim.base_url(), "demo running");
            for (_, email, password) in demo::USERS {
                tracing::info!(%email, %password, "demo user");
            }
            tokio::signal::ctrl_c().await?;
        }
    }
    Ok(())
}
