//! How WebKit's JavaScript engine runs the UI: without its JIT compilers, on Linux.
//!
//! The UI's JavaScript is light (it draws what the core gives it), and JavaScriptCore's JIT
//! tiers cost more memory than they save time here. Measured with `make bench`
//! (docs/benchmarks.md): with 10,000 threads listed and 20 opened, the whole app holds about
//! 240 MB instead of 265 MB (the baseline JIT alone: 252 MB). Drawing a thread is mostly
//! WebKit's own style, layout and paint, so an open costs about a tenth more. It also leaves
//! the web process with no writable and executable memory, as WebKit's lockdown mode does.
//!
//! WebKit's web process reads JavaScriptCore's options from its environment only, a copy of
//! this process's environment taken when WebKit starts it. Changing a running process's
//! environment is unsound while another thread may read it (hence `unsafe` in
//! `std::env::set_var`, forbidden in this workspace), and a WebKitGTK app is never
//! single-threaded, even on `main`'s first line: libwebkit2gtk's constructors start
//! bmalloc's scavenger thread. So the app's first act is to replace itself (`exec`: the same
//! process id and arguments) with a copy of itself whose environment has the option. That
//! costs a second load of the binary and its 169 libraries: 60-90 ms of launch, measured
//! (docs/benchmarks.md), paid for 25 MB held as long as the app runs.
//!
//! The same `exec` sets `WEBKIT_DISABLE_DMABUF_RENDERER=1`: WebKitGTK's DMA-BUF renderer
//! draws an empty window on machines without a GPU it can share buffers with (virtual
//! machines, some NVIDIA drivers, Xvfb), and the tests run the app with it off. Set here,
//! the installed app (started from the desktop entry, a terminal, anything) behaves as the
//! tested one; no wrapper script is needed.
//!
//! A user who sets either variable themselves (`JSC_useJIT=1`, say) keeps their choice.

use std::ffi::OsString;

/// The JavaScriptCore option, as WebKit reads it from the environment.
#[cfg(target_os = "linux")]
const JIT: &str = "JSC_useJIT";

/// What the app runs WebKit with, unless the environment says otherwise.
#[cfg(target_os = "linux")]
const DEFAULTS: [(&str, &str); 2] = [(JIT, "0"), ("WEBKIT_DISABLE_DMABUF_RENDERER", "1")];

/// What [`configure`] found, said once logging is set up ([`report`]).
#[derive(Debug)]
pub enum Engine {
    /// `JSC_useJIT` was in the environment: set by this app's `exec` (`0`), or by the user.
    Given(OsString),
    /// The `exec` failed (the binary replaced by an update meanwhile, say): WebKit runs with
    /// its defaults.
    Unchanged(String),
    /// Not a platform where the app chooses (macOS and Windows run their own engines).
    #[cfg(not(target_os = "linux"))]
    NotApplicable,
}

/// Re-executes the app with [`DEFAULTS`] for the variables its environment does not name.
/// Returns only when nothing is to be done, or when the `exec` failed. Must run first.
#[cfg(target_os = "linux")]
pub fn configure() -> Engine {
    use std::os::unix::process::CommandExt;

    let missing: Vec<_> = DEFAULTS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return Engine::Given(std::env::var_os(JIT).unwrap_or_default());
    }
    // /proc/self/exe: the binary this process runs, even when started through a link.
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => return Engine::Unchanged(format!("the app's binary is unknown: {error}")),
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let error = std::process::Command::new(&exe)
        .arg0(arg0)
        .args(args)
        .envs(missing.iter().map(|(name, value)| (name, value)))
        .exec();
    Engine::Unchanged(format!("restarting {}: {error}", exe.display()))
}

#[cfg(not(target_os = "linux"))]
pub fn configure() -> Engine {
    Engine::NotApplicable
}

/// Says what [`configure`] found (called once logging is set up).
pub fn report(engine: &Engine) {
    match engine {
        Engine::Given(value) if value == "0" => {
            tracing::debug!("JavaScript runs without the JIT (JSC_useJIT=0)");
        }
        Engine::Given(value) => tracing::info!("JSC_useJIT={value:?}, as the environment says"),
        Engine::Unchanged(why) => {
            tracing::warn!("JavaScript runs with WebKit's JIT, the option not set ({why})");
        }
        #[cfg(not(target_os = "linux"))]
        Engine::NotApplicable => {}
    }
}
