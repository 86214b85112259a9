//! `multiline-demo`: the demo on its own, as `make run` starts it inside the app: a
//! connector on SQLite and the Cloud API and Twilio simulator, seeded, on loopback. The UI
//! benchmark runs the app against it; a developer can point an app at it
//! (`MULTILINE_CONNECTOR_URL`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use multiline_demo::DemoOptions;
use multiline_domain::time::SystemClock;

#[derive(Parser)]
#[command(about = "MultiLine demo: a seeded connector and the Cloud API simulator")]
struct Cli {
    /// Where the demo's connector keeps its SQLite store.
    #[arg(long, env = "MULTILINE_DATA_DIR", default_value = "./demo-data")]
    data_dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    #[arg(long, default_value = "127.0.0.1:8090")]
    sim_listen: std::net::SocketAddr,
    /// Benchmark volume, added once: `<threads>,<messages>` more conversations and one
    /// conversation of that many messages.
    #[arg(long, value_parser = multiline_demo::parse_volume)]
    volume: Option<(usize, usize)>,
    /// Listen on an address other machines reach, although the demo's users, passwords and
    /// guest phone are public.
    #[arg(long)]
    i_know_this_is_public: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    multiline_demo::loopback_unless_public(
        &[cli.listen, cli.sim_listen],
        cli.i_know_this_is_public,
    )?;
    let demo = multiline_demo::start(DemoOptions {
        data_dir: cli.data_dir,
        connector_addr: cli.listen,
        sim_addr: cli.sim_listen,
        clock: Arc::new(SystemClock),
        cloud_timeout: None,
        sim_token: None,
    })
    .await?;
    if let Some(volume) = cli.volume {
        demo.add_volume(volume).await?;
    }
    tracing::info!(connector = %demo.connector.url(), simulator = %demo.sim.base_url(), guest_phone = %demo.sim.guest_url(), "demo running");
    for (_, email, password) in multiline_demo::USERS {
        tracing::info!(%email, %password, "demo user");
    }
    tokio::signal::ctrl_c().await?;
    demo.connector.stop().await;
    Ok(())
}
