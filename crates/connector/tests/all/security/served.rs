//! The built connector as its own process, set up through its admin commands: for what only
//! a process shows (its memory, its open-files limit).

use std::process::{Child, Command, Stdio};

use crate::support::{connector_cmd as connector, run_ok as run};

pub const EMAIL: &str = "ines@fjord.example";
pub const PASSWORD: &str = "a-long-enough-password";

pub struct Served {
    pub child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Served {
    /// An organization with one user, served on a free loopback port; `soft_files` starts
    /// the process with that soft limit on open files (as a distribution's service manager
    /// may).
    pub async fn start(soft_files: Option<u64>) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let org = run(connector(&data).args(["org", "create", "--name", "Fjord"]));
        run(connector(&data)
            .args([
                "create-user",
                "--org",
                &org,
                "--name",
                "Ines",
                "--email",
                EMAIL,
            ])
            .env("MULTILINE_PASSWORD", PASSWORD));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut serve = match soft_files {
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -Sn {n} && exec \"$0\" \"$@\"")])
                    .arg(env!("CARGO_BIN_EXE_multiline-connector"))
                    .env("MULTILINE_DATA_DIR", &data)
                    .env_remove("MULTILINE_CONFIG")
                    .env("RUST_LOG", "warn");
                c
            }
            None => connector(&data),
        };
        let child = serve
            .args(["serve", "--listen", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://{listen}");
        crate::support::wait_serving(&url).await;
        Served {
            child,
            url,
            _dir: dir,
        }
    }

    /// The process's resident memory, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kb * 1024
    }

    /// Signs in as the organization's user: the status, and the token if signed in.
    pub async fn sign_in(&self, http: &reqwest::Client, password: &str) -> (u16, Option<String>) {
        let r = http
            .post(format!("{}/v1/session", self.url))
            .json(&serde_json::json!({ "email": EMAIL, "password": password }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        (status, body["token"].as_str().map(str::to_owned))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
