//! The load tool: connects N simulated clients over M documents and sweeps offered edit rates. Each step lets
//! every client edit at its share of the rate for a set time, then waits until the server has acknowledged
//! every edit (it answers only after the database commit), and prints acknowledged edits per second, the
//! edit-to-peer latency, and — for a server it started itself — the server's CPU per acknowledged change and
//! its memory. It starts its own server (a child process on a throw-away SQLite file, or on a given
//! database) or measures any running one (`--url`), so an operator can size a deployment.

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
use zhigai_shared::access::{Role, Scope};
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::{
    Author, Document, FacilityId, FacilityType, Inspection, ItemId, Stamp, Template, Timestamp,
    UserId,
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
    /// Offered edits per second, all clients together; one step per rate, in order.
    #[arg(long, value_delimiter = ',', default_value = "100,400,1000")]
    pub rates: Vec<f64>,
    /// How long the clients edit in each step, in seconds.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Measure this running server (`http://host:port`) instead of starting one. Its database must hold the
    /// bench accounts: seed them with `--seed-only --database-url` first.
    #[arg(long)]
    pub url: Option<String>,
    /// The database of the server the bench starts (or seeds, with `--seed-only`); a throw-away SQLite file
    /// when absent. PostgreSQL: a database of its own, it is written to.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Only seed the bench accounts into `--database-url`, for a later `--url` run.
    #[arg(long)]
    pub seed_only: bool,
    /// With `--url`: the server's process id on this machine, to report its CPU and memory.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Run the same sweep against the stock Node automerge-repo sync server (in memory, no accounts:
    /// `tests/stock-client/server.mjs`, needs `npm ci` there) instead of zhigai, for the side-by-side.
    #[arg(long)]
    pub stock: bool,
    /// The log filter of the server the bench starts (`ZHIGAI_LOG`).
    #[arg(long, default_value = "warn")]
    pub server_log: String,
    /// Server instances the bench starts on `--database-url` (PostgreSQL: several instances share one
    /// database); the clients of each document are spread over them, so every edit crosses instances.
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// The bench accounts' password.
    #[arg(long, default_value = "bench-password")]
    pub password: String,
    /// How many checklist items each client goes through, one per edit, round and round (the clients of
    /// a document share the checklist out). 1 writes one field over and over, whose history Automerge
    /// then walks at every read and write: the bench's figures before 2026-11-24.
    #[arg(long, default_value_t = 25)]
    pub items_per_client: usize,
}

/// The items one client writes, in turn.
struct Lane {
    items: Vec<ItemId>,
    /// The next item this writer writes.
    next: usize,
}

impl Lane {
    /// Client slot `slot` of `per_doc` on one document: every `per_doc`-th item from `slot`.
    fn new(items: &[ItemId], slot: usize, per_doc: usize, count: usize) -> Self {
        let mut mine: Vec<ItemId> = items
            .iter()
            .skip(slot)
            .step_by(per_doc.max(1))
            .take(count.max(1))
            .cloned()
            .collect();
        if mine.is_empty() {
            mine.push(items[slot % items.len()].clone());
        }
        Lane {
            items: mine,
            next: 0,
        }
    }

    /// The writer's next item.
    fn write_next(&mut self) -> &ItemId {
        let item = &self.items[self.next % self.items.len()];
        self.next += 1;
        item
    }
}

/// The edits one client made, in order: each change's hash and the client's clock when it made it. The
/// other clients of the document time their arrival from it.
#[derive(Clone, Default)]
struct Edits(Arc<std::sync::Mutex<Vec<Edit>>>);

/// One edit: its change's hash, and the writer's clock (ms) when it made it.
type Edit = ([u8; 32], f64);

impl Edits {
    /// Records the edit `doc` just made (its only head now).
    fn record(&self, doc: &Inspection, at: f64) {
        let mut hash = [0u8; 32];
        if let Some(head) = doc.heads().first()
            && hex::decode_to_slice(head, &mut hash).is_ok()
        {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((hash, at));
        }
    }
}

/// How far a reader has followed one writer's edits.
struct Follow {
    edits: Edits,
    next: usize,
}

impl Follow {
    /// Follows the writer's edits that `doc` holds (a writer's changes arrive in order, each depending on
    /// the one before). Each new one is timed (when `times` is given) from the writer's clock to now. A hash
    /// lookup per edit: reading the values back would walk each value's history in Automerge, which took a
    /// third of the clients' CPU, on the cores the server needs.
    fn follow(&mut self, doc: &Inspection, mut times: Option<&mut Vec<f64>>) {
        let edits = self.edits.0.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((hash, at)) = edits.get(self.next) {
            if !doc.has_change(hash) {
                break;
            }
            if let Some(times) = times.as_deref_mut() {
                times.push(now_ms() as f64 - at);
            }
            self.next += 1;
        }
    }
}

/// What the clients of one step report.
#[derive(Default)]
struct Tally {
    edits: u64,
    acked: u64,
    latencies_ms: Vec<f64>,
    /// How late each edit was made after its scheduled time: the clients' own lag, when they share the
    /// server's cores. An edit's latency counts from when it is made, so this lag is not in it.
    lags_ms: Vec<f64>,
    /// When the last client saw all its edits acknowledged.
    last_ack: Option<Instant>,
}

/// One step's figures.
struct Step {
    offered: f64,
    edits: u64,
    acked: u64,
    acked_per_s: f64,
    p50: f64,
    p99: f64,
    /// p99 of the clients' lag behind their schedule: past a few ms the load generator, not the server,
    /// sets the pace, and the clients make fewer edits than the rate asks for.
    lag_p99: f64,
    cpu_ms_per_change: Option<f64>,
    /// The bench's own CPU (the clients, on the same machine) per acknowledged change.
    clients_cpu_ms_per_change: Option<f64>,
    rss: String,
}

/// Runs the sweep and prints its figures.
///
/// # Errors
/// If the server cannot be started or clients cannot connect.
#[allow(clippy::too_many_lines)] // one sequence: seed, start, connect, steps, table
pub async fn run(args: BenchArgs, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    if args.clients == 0 || args.docs == 0 || args.rates.iter().any(|r| *r <= 0.0) {
        bail!("clients, docs and rates must be positive");
    }
    if args.seed_only && !args.stock {
        let url = args
            .database_url
            .as_deref()
            .context("--seed-only needs --database-url")?;
        seed(url, args.docs, args.clients, &args.password).await?;
        writeln!(
            out,
            "seeded {} bench facilities and accounts into {url}",
            args.docs
        )?;
        return Ok(());
    }
    let dir =
        std::env::temp_dir().join(format!("zhigai-bench-{}", &crate::auth::new_secret()[..8]));
    let (mut children, bases, pids) = match &args.url {
        _ if args.stock => {
            let (child, port) = start_stock_server().await?;
            let pid = child.id().context("stock server pid")?;
            (
                vec![child],
                vec![format!("ws://127.0.0.1:{port}")],
                vec![pid],
            )
        }
        Some(url) => (
            Vec::new(),
            vec![url.trim_end_matches('/').to_owned()],
            args.pid.into_iter().collect(),
        ),
        None => {
            let url = match &args.database_url {
                Some(url) => url.clone(),
                None => {
                    std::fs::create_dir_all(&dir)?;
                    format!("sqlite://{}", dir.join("bench.db").display())
                }
            };
            seed(&url, args.docs, args.clients, &args.password).await?;
            let (mut children, mut bases, mut pids) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..args.instances.max(1) {
                let (child, base) = start_server_process_with(
                    &std::env::current_exe()?,
                    &url,
                    &[("ZHIGAI_LOG", args.server_log.as_str())],
                )
                .await?;
                pids.push(child.id().context("server pid")?);
                children.push(child);
                bases.push(base);
            }
            (children, bases, pids)
        }
    };
    let base = bases.join(" ");
    writeln!(
        out,
        "server {base}{}, {} clients over {} documents, steps of {} s at {:?} edits/s",
        if pids.is_empty() {
            String::new()
        } else {
            format!(" (pid {pids:?})")
        },
        args.clients,
        args.docs,
        args.seconds,
        args.rates
    )?;

    let tally = Arc::new(Mutex::new(Tally::default()));
    // Everyone (clients and this task) meets at the start and at the end of each step.
    let gate = Arc::new(Barrier::new(args.clients + 1));
    let items: Vec<ItemId> = Template::current().items().map(|i| i.id.clone()).collect();
    // The server verifies one password hash per core at a time: a few logins at once keep it busy.
    let logins = Arc::new(tokio::sync::Semaphore::new(4));
    let edits: Arc<Vec<Edits>> = Arc::new((0..args.clients).map(|_| Edits::default()).collect());
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        // The clients of one document (c, c + docs, …) go to different instances.
        let (base, tally, gate, items, args, logins, edits) = (
            bases[(c / args.docs.max(1)) % bases.len()].clone(),
            tally.clone(),
            gate.clone(),
            items.clone(),
            args.clone(),
            logins.clone(),
            edits.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let shared = Shared {
                gate: &gate,
                tally: &tally,
                logins: &logins,
                logs: &edits,
            };
            let result = client(c, &base, &items, &args, shared).await;
            if let Err(e) = &result {
                eprintln!("client {c}: {e:#}");
            }
            result
        }));
    }
    gate.wait().await;
    writeln!(out, "all clients connected")?;
    let mut steps = Vec::new();
    for &rate in &args.rates {
        *tally.lock().await = Tally::default();
        let cpu_before = cpu_of(&pids);
        let own_before = cpu_of(&[std::process::id()]);
        let started = Instant::now();
        gate.wait().await; // step starts
        gate.wait().await; // every client done and acknowledged (or given up)
        let cpu_after = cpu_of(&pids);
        let own_after = cpu_of(&[std::process::id()]);
        let mut t = tally.lock().await;
        t.latencies_ms.sort_by(f64::total_cmp);
        t.lags_ms.sort_by(f64::total_cmp);
        let pct = |p: f64| crate::bench_county::percentile(&t.latencies_ms, p);
        let span = t
            .last_ack
            .map_or(args.seconds as f64, |at| {
                at.duration_since(started).as_secs_f64()
            })
            .max(args.seconds as f64);
        let step = Step {
            offered: rate,
            edits: t.edits,
            acked: t.acked,
            acked_per_s: t.acked as f64 / span,
            p50: pct(0.5),
            p99: pct(0.99),
            lag_p99: crate::bench_county::percentile(&t.lags_ms, 0.99),
            cpu_ms_per_change: per_change(cpu_before, cpu_after, t.acked),
            clients_cpu_ms_per_change: per_change(own_before, own_after, t.acked),
            rss: if pids.is_empty() {
                "n/a".to_owned()
            } else {
                pids.iter()
                    .map(|p| memory(*p))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        };
        writeln!(
            out,
            "offered {:>6.0}/s: {:>7} edits, {:>7} acknowledged ({:>6.0}/s), edit-to-peer p50 {:>6.1} ms p99 {:>7.1} ms, server CPU {} per change (clients {}, their lag p99 {:.0} ms), {}",
            step.offered,
            step.edits,
            step.acked,
            step.acked_per_s,
            step.p50,
            step.p99,
            ms(step.cpu_ms_per_change),
            ms(step.clients_cpu_ms_per_change),
            step.lag_p99,
            step.rss
        )?;
        steps.push(step);
    }
    let mut failed = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            failed += 1;
        }
    }
    for child in &mut children {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    writeln!(out)?;
    writeln!(
        out,
        "| offered edits/s | edits | acknowledged | acknowledged/s | edit-to-peer p50 | p99 | server CPU per change | server RSS | clients' CPU per change | clients' lag p99 |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")?;
    for s in &steps {
        writeln!(
            out,
            "| {:.0} | {} | {} | {:.0} | {:.1} ms | {:.1} ms | {} | {} | {} | {:.0} ms |",
            s.offered,
            s.edits,
            s.acked,
            s.acked_per_s,
            s.p50,
            s.p99,
            ms(s.cpu_ms_per_change),
            s.rss,
            ms(s.clients_cpu_ms_per_change),
            s.lag_p99,
        )?;
    }
    writeln!(out, "clients failed: {failed}")?;
    Ok(())
}

/// CPU milliseconds per acknowledged change between two readings of clock ticks.
fn per_change(before: Option<u64>, after: Option<u64>, acked: u64) -> Option<f64> {
    match (before, after) {
        (Some(a), Some(b)) if acked > 0 => {
            Some(b.saturating_sub(a) as f64 * 1000.0 / ticks_per_second() / acked as f64)
        }
        _ => None,
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |ms| format!("{ms:.2} ms"))
}

/// One bench facility per document and one account per client (client `c` works at facility `c % docs`;
/// one account per device, as several logins of one account at once are throttled as guesses), unless
/// seeded already.
async fn seed(url: &str, docs: usize, clients: usize, password: &str) -> anyhow::Result<()> {
    let store = db::connect(url).await?;
    if store.fetch_county("bench").await?.is_none() {
        store.insert_county(&County::new("bench", "压测县")).await?;
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
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
        if store.fetch_facility(&facility.id).await?.is_none() {
            store
                .insert_facility(&facility, &crate::clock::document_years())
                .await?;
        }
    }
    for c in 0..clients {
        let username = format!("bench-u{c}");
        if store.fetch_user_by_username(&username).await?.is_some() {
            continue;
        }
        let user = User {
            id: UserId::new(username.clone()),
            username,
            display_name: format!("员工{c}"),
            role: Role::Member,
            scope: Scope::Facility(FacilityId::new(format!("bench-f{}", c % docs))),
        };
        store.insert_user(&user, &hash, now_ms()).await?;
    }
    Ok(())
}

/// What the clients share.
#[derive(Clone, Copy)]
struct Shared<'a> {
    /// Where they meet at the start and end of each step.
    gate: &'a Barrier,
    /// What each step's clients report.
    tally: &'a Mutex<Tally>,
    /// How many log in at once.
    logins: &'a tokio::sync::Semaphore,
    /// Every client's edits, by client.
    logs: &'a [Edits],
}

async fn client(
    c: usize,
    base: &str,
    items: &[ItemId],
    args: &BenchArgs,
    shared: Shared<'_>,
) -> anyhow::Result<()> {
    let Shared {
        gate,
        tally,
        logins,
        logs,
    } = shared;
    let d = c % args.docs;
    let facility = FacilityId::new(format!("bench-f{d}"));
    let year = crate::clock::document_years()[0];
    let id = DocumentId::for_doc(DocKind::Inspection, &facility, year);
    let connect = async {
        let mut client = if args.stock {
            let mut client = SyncClient::anonymous(&format!("bench-u{c}"));
            client.connect_url(base).await?;
            client
        } else {
            let mut client = login(base, &format!("bench-u{c}"), &args.password, logins).await?;
            client.connect().await?;
            client
        };
        client
            .open(
                id,
                Inspection::create(&facility, year, Template::current())?,
            )
            .await?;
        client.wait_acked(id, Duration::from_secs(60)).await?;
        anyhow::Ok(client)
    }
    .await;
    gate.wait().await;
    let mut client = match connect {
        Ok(client) => Some(client),
        Err(e) => {
            eprintln!("client {c}: {e:#}");
            None
        }
    };
    // Each client of a document writes its own items; it measures latency on the others'.
    let slot = c / args.docs;
    let per_doc = args.clients.div_ceil(args.docs);
    let mut mine = Lane::new(items, slot, per_doc, args.items_per_client);
    let mut peers: Vec<Follow> = (0..per_doc)
        .map(|s| s * args.docs + d)
        .filter(|&other| other != c && other < args.clients)
        .map(|other| Follow {
            edits: logs[other].clone(),
            next: 0,
        })
        .collect();
    let author = Stamp::new(
        Author::new(format!("bench-u{c}"), format!("员工{c}")),
        Timestamp(0),
    );
    for &rate in &args.rates {
        gate.wait().await;
        let Some(client) = client.as_mut() else {
            gate.wait().await;
            continue;
        };
        // Catch up without timing: what the peers wrote while this client was not timing (the last step's
        // final acknowledgements).
        for peer in &mut peers {
            peer.follow(client.inspection(id), None);
        }
        let interval = Duration::from_secs_f64(args.clients as f64 / rate);
        let end = Instant::now() + Duration::from_secs(args.seconds);
        // Spread the clients' first edits over one interval.
        let mut next = Instant::now() + interval.mul_f64((c as f64 * 0.618_034).fract());
        let (mut edits, mut latencies) = (0u64, Vec::new());
        let mut lags = Vec::new();
        while Instant::now() < end {
            if Instant::now() >= next {
                lags.push(Instant::now().duration_since(next).as_secs_f64() * 1000.0);
                let now = now_ms();
                let stamp = Stamp {
                    at: Timestamp(now),
                    ..author.clone()
                };
                let at = now as f64;
                client
                    .inspection_mut(id)
                    .set_metric(mine.write_next(), Some(at), &stamp)?;
                // Recorded before it is sent, so no peer can hold it before it is in the log.
                logs[c].record(client.inspection(id), at);
                client.push(id).await?;
                edits += 1;
                next += interval;
            }
            // One frame at a time, so a peer's edit is timed when it arrives, not when the wait ends.
            let changes = client.inspection(id).change_count();
            client
                .pump_one(tokio::time::Instant::from_std(
                    next.max(Instant::now() + Duration::from_millis(1)),
                ))
                .await?;
            let doc = client.inspection(id);
            // Most frames only acknowledge: the peers' edits are looked for only when changes came in.
            if doc.change_count() == changes {
                continue;
            }
            for peer in &mut peers {
                peer.follow(doc, Some(&mut latencies));
            }
        }
        let acked = client.wait_acked(id, Duration::from_secs(60)).await?;
        if !acked {
            eprintln!(
                "client {c} (doc {d}): not acknowledged; notices {:?}",
                client.notices
            );
        }
        {
            let mut t = tally.lock().await;
            t.edits += edits;
            if acked {
                t.acked += edits;
                let now = Instant::now();
                t.last_ack = Some(t.last_ack.map_or(now, |at| at.max(now)));
            }
            t.latencies_ms.extend(latencies);
            t.lags_ms.extend(lags);
        }
        gate.wait().await;
    }
    Ok(())
}

/// Starts the stock Node automerge-repo sync server (`tests/stock-client/server.mjs`) on a free port.
async fn start_stock_server() -> anyhow::Result<(tokio::process::Child, u16)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/stock-client");
    if !dir.join("node_modules/@automerge/automerge-repo").is_dir() {
        bail!(
            "the stock server's packages are missing: run `npm ci` in {}",
            dir.display()
        );
    }
    let mut child = tokio::process::Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting node (the stock server needs Node.js)")?;
    let port = listening_at(&mut child, "stock listening on ").await?;
    Ok((child, port.parse()?))
}

/// Reads the child's output until the line starting with `prefix`; returns the rest of that line.
async fn listening_at(child: &mut tokio::process::Child, prefix: &str) -> anyhow::Result<String> {
    let mut lines = BufReader::new(child.stdout.take().context("no output to read")?).lines();
    loop {
        let line = lines
            .next_line()
            .await?
            .context("the server exited before listening")?;
        if let Some(rest) = line.strip_prefix(prefix) {
            return Ok(rest.trim().to_owned());
        }
    }
}

/// Logs in, a few clients at a time, waiting out the server's throttle if it answers 429.
async fn login(
    base: &str,
    username: &str,
    password: &str,
    logins: &tokio::sync::Semaphore,
) -> anyhow::Result<SyncClient> {
    let _turn = logins.acquire().await?;
    let mut tries = 0;
    loop {
        match SyncClient::login(base, username, password).await {
            Ok(client) => return Ok(client),
            Err(e) if tries < 10 && e.to_string().contains("429") => {
                tries += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e),
        }
    }
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

/// CPU time (clock ticks) the processes used so far together; `None` without processes to read.
fn cpu_of(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| cpu_ticks(*p)).sum()
}

/// CPU time (user + system, in clock ticks) the process used so far, from /proc.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses: utime and stime are 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks per second of `/proc/<pid>/stat`.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
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
    let addr = listening_at(&mut child, "zhigai listening on ").await?;
    Ok((child, addr))
}
