//! PostgreSQL for the tests: the server `.ci/run` started
//! (`CONSENTRY_TEST_PG`, a URL), or a private one this process starts
//! itself (`initdb` into a temporary directory, `pg_ctl start` on
//! 127.0.0.1), stopped and removed when dropped, whatever happens.
//!
//! When neither is possible the tests fail, loudly: a PostgreSQL test that
//! silently skips cannot fail.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

#[allow(clippy::disallowed_methods)] // a unique name, not a decision
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The directory holding `initdb` and `pg_ctl`.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CONSENTRY_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Run one of the server's tools, as the `postgres` user when asked (the
/// server refuses to run as root).
fn run_tool(
    bin: &Path,
    tool: &str,
    as_postgres: bool,
    args: &[&str],
) -> std::io::Result<std::process::Output> {
    let program = bin.join(tool);
    if as_postgres {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&program)
            .args(args)
            .output()
    } else {
        Command::new(&program).args(args).output()
    }
}

/// A PostgreSQL server of this test process: in a temporary directory, on
/// a free loopback port, run as `postgres` when the tests run as root.
pub struct TempServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl TempServer {
    pub fn start() -> TempServer {
        let bin = bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL tests need a server: set CONSENTRY_TEST_PG to a URL (as .ci/run does), \
                 or install the server binaries (apt-get install postgresql)"
            )
        });
        let dir = std::env::temp_dir().join(unique("consentry-pg"));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown of the server directory failed");
        }
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let server = TempServer {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "consentry",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        server.start_again();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let output = run_tool(&self.bin, tool, self.as_postgres, args)
            .unwrap_or_else(|e| panic!("could not run {tool}: {e}"));
        assert!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Start (again) on the same port and data.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -h 127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.dir.to_str().unwrap()
        );
        let data = self.data();
        let log = self.dir.join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stop it (a fast shutdown: connections are cut, committed data kept).
    pub fn stop(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://consentry@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for TempServer {
    fn drop(&mut self) {
        let data = self.data();
        let args = [
            "-D",
            data.to_str().unwrap_or(""),
            "-m",
            "immediate",
            "-w",
            "stop",
        ];
        let _ = run_tool(&self.bin, "pg_ctl", self.as_postgres, &args);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server a test may stop and start: the one `.ci/run` started (named by
/// `CONSENTRY_TEST_PG`, `CONSENTRY_TEST_PG_DATA`, `CONSENTRY_TEST_PG_OPTS`
/// and `CONSENTRY_TEST_PG_BIN`; left running when dropped), else a private
/// [`TempServer`].
pub enum Restartable {
    Shared {
        url: String,
        bin: PathBuf,
        data: String,
        opts: String,
        as_postgres: bool,
    },
    Own(TempServer),
}

impl Restartable {
    pub fn new() -> Restartable {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (
            var("CONSENTRY_TEST_PG"),
            var("CONSENTRY_TEST_PG_DATA"),
            var("CONSENTRY_TEST_PG_OPTS"),
            bin_dir(),
        ) {
            (Some(url), Some(data), Some(opts), Some(bin)) => {
                eprintln!("restarting the shared PostgreSQL server at {url}");
                Restartable::Shared {
                    url,
                    bin,
                    data,
                    opts,
                    as_postgres: is_root(),
                }
            }
            _ => Restartable::Own(TempServer::start()),
        }
    }

    fn pg_ctl(bin: &Path, as_postgres: bool, args: &[&str]) -> bool {
        run_tool(bin, "pg_ctl", as_postgres, args).is_ok_and(|o| o.status.success())
    }

    pub fn url(&self) -> String {
        match self {
            Restartable::Shared { url, .. } => url.clone(),
            Restartable::Own(s) => s.url(),
        }
    }

    pub fn stop(&self) {
        match self {
            Restartable::Shared {
                bin,
                data,
                as_postgres,
                ..
            } => assert!(
                Self::pg_ctl(bin, *as_postgres, &["-D", data, "-m", "fast", "-w", "stop"]),
                "could not stop the shared server"
            ),
            Restartable::Own(s) => s.stop(),
        }
    }

    pub fn start_again(&self) {
        match self {
            Restartable::Shared {
                bin,
                data,
                opts,
                as_postgres,
                ..
            } => {
                let log = format!("{data}/../restart.log");
                assert!(
                    Self::pg_ctl(
                        bin,
                        *as_postgres,
                        &["-D", data, "-o", opts, "-l", &log, "-w", "-t", "60", "start"]
                    ),
                    "could not start the shared server again"
                );
            }
            Restartable::Own(s) => s.start_again(),
        }
    }
}

impl Drop for Restartable {
    fn drop(&mut self) {
        // The shared server is left running for the rest of the run,
        // whatever the test did (starting a running server fails harmlessly).
        if let Restartable::Shared {
            bin,
            data,
            opts,
            as_postgres,
            ..
        } = self
        {
            let log = format!("{data}/../restart.log");
            let _ = Self::pg_ctl(
                bin,
                *as_postgres,
                &[
                    "-D", data, "-o", opts, "-l", &log, "-w", "-t", "60", "start",
                ],
            );
        }
    }
}

/// A database for one test: a fresh database on the CI server, or a
/// private server. Dropped, it is removed.
pub struct TestDb {
    url: String,
    admin: Option<(String, String)>,
    _server: Option<TempServer>,
}

impl TestDb {
    pub fn new() -> TestDb {
        match std::env::var("CONSENTRY_TEST_PG") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = unique("consentry_test");
                run_sql(&admin_url, &format!("CREATE DATABASE {name}"));
                let url = with_database(&admin_url, &name);
                TestDb {
                    url,
                    admin: Some((admin_url, name)),
                    _server: None,
                }
            }
            _ => {
                eprintln!(
                    "CONSENTRY_TEST_PG is not set: starting a private PostgreSQL server for this test"
                );
                let server = TempServer::start();
                TestDb {
                    url: server.url(),
                    admin: None,
                    _server: Some(server),
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.admin.take() {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            // Run outside any runtime the test may be inside.
            let _ = std::thread::spawn(move || run_sql(&admin, &sql)).join();
        }
    }
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let without_db = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{without_db}/{name}?{q}"),
        None => format!("{without_db}/{name}"),
    }
}

/// Run statements on `url` from a private runtime.
pub fn run_sql(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}"));
        let task = tokio::spawn(connection);
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        drop(client);
        let _ = task.await;
    });
}

/// A raw client (the baseline and the inspector), its connection driven on
/// the current runtime.
pub async fn raw_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Empty consentry's tables in the database at `url`.
pub async fn truncate(url: &str) {
    raw_client(url)
        .await
        .batch_execute("TRUNCATE consentry_events, consentry_erased, consentry_kept_tokens")
        .await
        .unwrap();
}
