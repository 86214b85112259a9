//! Shared by the tests; `fixtures` also by the cache benchmark.

pub mod fixtures;

use std::sync::Arc;
use std::time::Duration;

use multiline_client::{Client, ClientConfig};
use multiline_demo::{self as demo, Demo, DemoOptions};

/// A demo (its connector and simulator on free loopback ports) on the system clock.
pub async fn demo(dir: &std::path::Path) -> Demo {
    demo::start(DemoOptions {
        data_dir: dir.join("connector"),
        connector_addr: "127.0.0.1:0".parse().unwrap(),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        clock: Arc::new(multiline_domain::time::SystemClock),
        cloud_timeout: None,
        sim_token: None,
    })
    .await
    .unwrap()
}

/// A demo and a signed-in core sharing a clock the test moves.
pub async fn demo_with_clock(
    dir: &std::path::Path,
) -> (Demo, Client, Arc<multiline_domain::time::OffsetClock>) {
    let clock = Arc::new(multiline_domain::time::OffsetClock::default());
    let demo = demo::start(DemoOptions {
        data_dir: dir.join("connector"),
        connector_addr: "127.0.0.1:0".parse().unwrap(),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        clock: clock.clone(),
        cloud_timeout: None,
        sim_token: None,
    })
    .await
    .unwrap();
    let config = ClientConfig::new(dir.join("app"), demo.connector.url(), clock.clone());
    let (_, email, password) = demo::USERS[0];
    let client = Client::sign_in(config, email, password).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), client.wait_synced())
        .await
        .unwrap();
    (demo, client, clock)
}
