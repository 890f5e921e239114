//! The load tool: starts a server on a throw-away SQLite database as a child process, connects N simulated
//! clients over M documents, lets each edit at a set rate for a set time, and prints how many changes per
//! second were durably stored, the edit-to-peer latency, and the server's memory.

use crate::auth::hash_password;
use crate::client::SyncClient;
use crate::clock::now_ms;
use crate::db::{self, County, Facility, User};
use anyhow::{Context, bail};
use clap::Args;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Barrier, Mutex};
use zhigai_shared::Document;
use zhigai_shared::access::{Role, Scope};
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::{
    Author, FacilityId, FacilityType, Inspection, ItemId, Stamp, Template, Timestamp, UserId,
};

/// `bench` flags.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Simulated clients.
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Documents (facilities) the clients share.
    #[arg(long, default_value_t = 50)]
    pub docs: usize,
    /// Edits per second per client.
    #[arg(long, default_value_t = 0.5)]
    pub rate: f64,
    /// How long the clients edit, in seconds.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
}

const PASSWORD: &str = "bench-password";

#[derive(Default)]
struct Tally {
    edits: u64,
    acked: u64,
    latencies_ms: Vec<f64>,
}

/// Runs the load test and prints its figures.
///
/// # Errors
/// If the server cannot be started or clients cannot connect.
pub async fn run(args: BenchArgs, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    if args.clients == 0 || args.docs == 0 || args.rate <= 0.0 {
        bail!("clients, docs and rate must be positive");
    }
    let dir =
        std::env::temp_dir().join(format!("zhigai-bench-{}", &crate::auth::new_secret()[..8]));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    seed(&url, args.docs).await?;

    let (mut child, base) = start_server_process(&std::env::current_exe()?, &url).await?;
    let pid = child.id().context("server pid")?;
    writeln!(
        out,
        "server {base} (pid {pid}), {} clients over {} documents, {} edits/s each for {} s",
        args.clients, args.docs, args.rate, args.seconds
    )?;

    let tally = Arc::new(Mutex::new(Tally::default()));
    let ready = Arc::new(Barrier::new(args.clients + 1));
    let items: Vec<ItemId> = Template::current().items().map(|i| i.id.clone()).collect();
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let (base, tally, ready, items, args) = (
            base.clone(),
            tally.clone(),
            ready.clone(),
            items.clone(),
            args.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let result = client(c, &base, &items, &args, &ready, &tally).await;
            if let Err(e) = &result {
                eprintln!("client {c}: {e:#}");
            }
            result
        }));
    }
    ready.wait().await;
    let started = Instant::now();
    writeln!(out, "all clients connected; editing…")?;
    let mut failed = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss = memory(pid);
    let _ = child.start_kill();
    let _ = child.wait().await;
    if std::env::var("ZHIGAI_BENCH_DEBUG").is_ok() {
        let store = db::connect(&url).await?;
        for d in 0..args.docs {
            let id = DocumentId::for_doc(
                DocKind::Inspection,
                &FacilityId::new(format!("bench-f{d}")),
                2026,
            );
            if let Some(parts) = store.fetch_document(&id.to_string()).await? {
                let doc = Inspection::load(&parts.concat())?;
                eprintln!("doc {d} stored heads {:?}", doc.heads());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let mut tally = tally.lock().await;
    tally.latencies_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| crate::bench_county::percentile(&tally.latencies_ms, p);
    writeln!(out, "edits made:               {}", tally.edits)?;
    writeln!(
        out,
        "edits durably stored:     {} ({:.1} changes/s over {:.1} s)",
        tally.acked,
        tally.acked as f64 / args.seconds as f64,
        elapsed
    )?;
    writeln!(
        out,
        "edit-to-peer latency:     p50 {:.1} ms, p99 {:.1} ms ({} deliveries)",
        pct(0.5),
        pct(0.99),
        tally.latencies_ms.len()
    )?;
    writeln!(out, "server memory:            {rss}")?;
    writeln!(out, "clients failed:           {failed}")?;
    Ok(())
}

async fn seed(url: &str, docs: usize) -> anyhow::Result<()> {
    let store = db::connect(url).await?;
    store.insert_county(&County::new("bench", "压测县")).await?;
    let hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD)).await??;
    for d in 0..docs {
        let facility = Facility {
            id: FacilityId::new(format!("bench-f{d}")),
            county_id: "bench".into(),
            community_id: None,
            name: format!("压测卫生院{d}"),
            facility_type: FacilityType::Township,
            open_beds: 20,
            services: vec![],
            guided_by: None,
        };
        store
            .insert_facility(&facility, &crate::clock::document_years())
            .await?;
        let user = User {
            id: UserId::new(format!("bench-u{d}")),
            username: format!("bench-u{d}"),
            display_name: format!("员工{d}"),
            role: Role::Member,
            scope: Scope::Facility(facility.id.clone()),
        };
        store.insert_user(&user, &hash, now_ms()).await?;
    }
    Ok(())
}

async fn client(
    c: usize,
    base: &str,
    items: &[ItemId],
    args: &BenchArgs,
    ready: &Barrier,
    tally: &Mutex<Tally>,
) -> anyhow::Result<()> {
    let d = c % args.docs;
    let facility = FacilityId::new(format!("bench-f{d}"));
    let id = DocumentId::for_doc(DocKind::Inspection, &facility, 2026);
    let connect = async {
        let mut client = SyncClient::login(base, &format!("bench-u{d}"), PASSWORD).await?;
        client.connect().await?;
        client
            .open(
                id,
                Inspection::create(&facility, 2026, Template::current())?,
            )
            .await?;
        client.wait_acked(id, Duration::from_secs(60)).await?;
        anyhow::Ok(client)
    }
    .await;
    ready.wait().await;
    let mut client = connect?;
    // Each client of a document writes its own item; it measures latency on the others'.
    let slot = c / args.docs;
    let mine = items[slot % items.len()].clone();
    let peers: Vec<ItemId> = (0..args.clients.div_ceil(args.docs))
        .filter(|s| *s != slot && s * args.docs + d < args.clients)
        .map(|s| items[s % items.len()].clone())
        .collect();
    let mut seen: Vec<Option<f64>> = vec![None; peers.len()];
    let author = Stamp::new(
        Author::new(format!("bench-u{d}"), format!("员工{d}")),
        Timestamp(0),
    );
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let end = Instant::now() + Duration::from_secs(args.seconds);
    // Spread the clients' first edits over one interval.
    let mut next = Instant::now() + interval.mul_f64((c as f64 * 0.618_034).fract());
    let (mut edits, mut latencies) = (0u64, Vec::new());
    while Instant::now() < end {
        if Instant::now() >= next {
            let stamp = Stamp {
                at: Timestamp(now_ms()),
                ..author.clone()
            };
            client
                .inspection_mut(id)
                .set_metric(&mine, Some(now_ms() as f64), &stamp)?;
            client.push(id).await?;
            edits += 1;
            next += interval;
        }
        client.pump(Duration::from_millis(10)).await?;
        let doc = client.inspection(id);
        for (i, item) in peers.iter().enumerate() {
            let value = doc.metric(item);
            if value.is_some() && value != seen[i] {
                if seen[i].is_some() || value.is_some_and(|v| v > 0.0) {
                    latencies.push(now_ms() as f64 - value.unwrap_or_default());
                }
                seen[i] = value;
            }
        }
    }
    let acked = client.wait_acked(id, Duration::from_secs(60)).await?;
    if !acked {
        eprintln!(
            "client {c} (doc {d}): not acknowledged; notices {:?}",
            client.notices
        );
    }
    let mut t = tally.lock().await;
    t.edits += edits;
    if acked {
        t.acked += edits;
    }
    t.latencies_ms.extend(latencies);
    Ok(())
}

/// The server's resident memory now and at its peak, from /proc.
fn memory(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
            .unwrap_or_else(|| "n/a".to_owned())
    };
    format!("RSS {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

/// Starts `exe serve` on loopback with a free port and `database_url`, and returns the process with the
/// address it printed. The process is killed when the handle is dropped.
///
/// # Errors
/// If the process cannot start or exits before listening.
pub async fn start_server_process(
    exe: &std::path::Path,
    database_url: &str,
) -> anyhow::Result<(tokio::process::Child, String)> {
    start_server_process_with(exe, database_url, &[]).await
}

/// [`start_server_process`] with extra environment variables (`ZHIGAI_TODAY`, …).
///
/// # Errors
/// As [`start_server_process`].
pub async fn start_server_process_with(
    exe: &std::path::Path,
    database_url: &str,
    env: &[(&str, &str)],
) -> anyhow::Result<(tokio::process::Child, String)> {
    let mut child = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--database-url",
            database_url,
            "--static-dir",
            "/nonexistent",
        ])
        .env("ZHIGAI_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
    loop {
        let line = lines
            .next_line()
            .await?
            .context("the server exited before listening")?;
        if let Some(addr) = line.strip_prefix("zhigai listening on ") {
            return Ok((child, addr.trim().to_owned()));
        }
    }
}
