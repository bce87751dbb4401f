//! A private PostgreSQL cluster started from the system's server binaries, so the shop
//! runs on a laptop with nothing but Debian's `postgresql` package installed.
//!
//! The cluster lives in `<data root>/postgres` and listens only on a Unix socket in a short
//! folder under the system's temporary directory (socket paths are limited to ~100 bytes).
//! Postgres refuses to run as root, so when we are root every command runs as the
//! `postgres` system user that Debian's package creates, and the folders are handed to it.

use sqlx::postgres::PgConnectOptions;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The superuser that `initdb -U` creates in every cluster we make.
const SUPERUSER: &str = "postgres";
/// Only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const PORT: u16 = 5432;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found in `pg_config --bindir` \
         or /usr/lib/postgresql/*/bin. Install them with `apt-get install postgresql`, or set \
         DATABASE_URL to a database you already run."
    )]
    BinariesMissing,
    #[error("the data folder {path} cannot be used: {reason}. Fix its ownership or choose another folder with MERCATO_DATA_DIR.")]
    DataDir { path: PathBuf, reason: String },
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
}

/// How the cluster trades durability for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The shop's own data: every commit reaches the disk.
    Durable,
    /// Throwaway clusters for tests: no fsync, nothing survives a crash.
    Throwaway,
}

/// A running cluster. Stop it with [`EmbeddedPostgres::stop`]; dropping it stops it too.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    as_postgres_user: bool,
    running: bool,
}

impl EmbeddedPostgres {
    /// Starts the cluster under `root` (creating it on first use), or attaches to it when
    /// it is already running, for example after a crash left it up.
    pub fn start(root: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedError::BinariesMissing)?;
        let as_postgres_user = is_root();
        let data_dir = root.join("postgres");
        let socket_dir = socket_dir_for(&data_dir);
        prepare_dir(&data_dir, as_postgres_user)?;
        prepare_dir(&socket_dir, as_postgres_user)?;

        let mut cluster = EmbeddedPostgres {
            bin_dir,
            data_dir,
            socket_dir,
            as_postgres_user,
            running: false,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.init(durability)?;
        }
        if !cluster.is_running() {
            cluster.launch(durability)?;
        }
        cluster.running = true;
        Ok(cluster)
    }

    /// Connection options for `database` in this cluster, over its Unix socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// The folder holding the cluster's files.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the server, letting open transactions roll back ("fast" shutdown).
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let data = self.data_dir.display().to_string();
        if self.is_running() {
            self.pg("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])?;
        }
        // The socket folder is empty once the server is down; leave /tmp as we found it.
        let _ = std::fs::remove_dir(&self.socket_dir);
        Ok(())
    }

    /// Starts the server again after [`EmbeddedPostgres::stop`].
    pub fn restart(&mut self, durability: Durability) -> Result<(), EmbeddedError> {
        prepare_dir(&self.socket_dir, self.as_postgres_user)?;
        if !self.is_running() {
            self.launch(durability)?;
        }
        self.running = true;
        Ok(())
    }

    fn init(&self, durability: Durability) -> Result<(), EmbeddedError> {
        let occupied = std::fs::read_dir(&self.data_dir)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if occupied {
            return Err(EmbeddedError::DataDir {
                path: self.data_dir.clone(),
                reason: "it is not empty, yet holds no PostgreSQL cluster".to_owned(),
            });
        }
        let data = self.data_dir.display().to_string();
        let mut args = vec![
            "-D",
            &data,
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ];
        if durability == Durability::Throwaway {
            args.push("--no-sync");
        }
        self.pg("initdb", &args).map(drop)
    }

    fn launch(&self, durability: Durability) -> Result<(), EmbeddedError> {
        let data = self.data_dir.display().to_string();
        let log = self.data_dir.join("server.log").display().to_string();
        let mut options = format!(
            "-k {} -c listen_addresses='' -c port={PORT}",
            self.socket_dir.display()
        );
        if durability == Durability::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let started = self.pg(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        );
        started.map(drop).map_err(|e| match e {
            EmbeddedError::Command { command, detail } => EmbeddedError::Command {
                command,
                detail: format!("{detail}\nlast lines of {log}:\n{}", tail(&log, 10)),
            },
            other => other,
        })
    }

    fn is_running(&self) -> bool {
        let data = self.data_dir.display().to_string();
        self.pg("pg_ctl", &["-D", &data, "status"]).is_ok()
    }

    /// Runs one of PostgreSQL's programs, as the `postgres` user when we are root.
    fn pg(&self, program: &str, args: &[&str]) -> Result<Output, EmbeddedError> {
        let path = self.bin_dir.join(program);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", SUPERUSER, "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        command.args(args).current_dir(&self.data_dir);
        let shown = format!("{} {}", path.display(), args.join(" "));
        let output = command.output().map_err(|e| EmbeddedError::Command {
            command: shown.clone(),
            detail: e.to_string(),
        })?;
        if output.status.success() {
            Ok(output)
        } else {
            let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            if detail.is_empty() {
                detail = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            }
            Err(EmbeddedError::Command {
                command: shown,
                detail,
            })
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

/// The newest server binaries installed: `pg_config --bindir` first, then Debian's layout.
fn find_bin_dir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_initdb(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_initdb(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A short, stable socket folder per data folder.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    data_dir.hash(&mut hasher);
    std::env::temp_dir().join(format!("mercato-pg-{:016x}", hasher.finish()))
}

/// Creates `dir` with owner-only permissions and, when we are root, hands it to the
/// `postgres` user, then checks that the server's user can really write there.
fn prepare_dir(dir: &Path, for_postgres_user: bool) -> Result<(), EmbeddedError> {
    let fail = |reason: String| EmbeddedError::DataDir {
        path: dir.to_owned(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create it ({e})")))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
        fail(format!(
            "cannot set its permissions ({e}); is it someone else's?"
        ))
    })?;
    if !for_postgres_user {
        return Ok(());
    }
    let chown = Command::new("chown")
        .args([&format!("{SUPERUSER}:{SUPERUSER}")])
        .arg(dir)
        .output()
        .map_err(|e| fail(format!("cannot run chown ({e})")))?;
    if !chown.status.success() {
        return Err(fail(format!(
            "cannot hand it to the `{SUPERUSER}` user: {}",
            String::from_utf8_lossy(&chown.stderr).trim()
        )));
    }
    let reachable = Command::new("runuser")
        .args(["-u", SUPERUSER, "--", "test", "-w"])
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if reachable {
        Ok(())
    } else {
        Err(fail(format!(
            "PostgreSQL runs as the `{SUPERUSER}` user (it refuses root), and that user cannot \
             reach this folder because a parent folder is closed to other users \
             (for example /root). Put the data elsewhere, e.g. MERCATO_DATA_DIR=/var/lib/mercato"
        )))
    }
}

fn tail(path: &str, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
