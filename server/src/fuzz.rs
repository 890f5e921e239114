//! `zhigai-server fuzz-sync`: an in-process mutation fuzzer (stable Rust, no nightly) over the server's
//! handling of one sync frame — [`DocEngine::receive`] then [`DocEngine::generate`] — for a reader and a
//! writer. Seeds are real sync messages (a device's first request, a batch of stamped edits, a whole
//! document, bloom filters); each execution mutates one (bit flips, byte sets, splices, LEB128 extremes,
//! truncation) and runs it on a fresh copy of a small document. It reports executions, escaped panics
//! (must be 0), automerge panics that were contained, refusals, and the peak memory of the process.
//! Inputs on which automerge panicked are written to `--crashes` so an ordinary test replays them.

use crate::docs::{DocEngine, DocLimits, Handled, PeerRole};
use clap::Args;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::Instant;
use zhigai_shared::Document;
use zhigai_shared::{
    Author, FacilityId, Inspection, ItemId, Stamp, Status, SyncState, Template, Timestamp, UserId,
    Writer,
};

/// `fuzz-sync` flags.
#[derive(Args, Debug)]
pub struct FuzzArgs {
    /// Executions to run.
    #[arg(long, default_value_t = 100_000)]
    pub iterations: u64,
    /// Seed of the mutation generator (runs are repeatable).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for inputs on which automerge panicked (contained).
    #[arg(long, default_value = "server/fuzz/crashes")]
    pub crashes: PathBuf,
}

/// The writer the fuzzed messages claim to come from.
pub fn fuzz_writer() -> Writer {
    Writer {
        user: UserId::new("u-fuzz"),
        rights: zhigai_shared::access::Rights::EDIT | zhigai_shared::access::Rights::SUBMIT,
    }
}

/// The document every execution starts from: a genesis and a few edits by another user.
pub fn base_document() -> Inspection {
    let mut doc =
        Inspection::create(&FacilityId::from("fuzz"), 2026, Template::national()).expect("genesis");
    let stamp = Stamp::new(Author::new("u-other", "其他"), Timestamp(0));
    for (i, item) in Template::national().items().take(4).enumerate() {
        let status = Status::ALL[i % Status::ALL.len()];
        let _ = doc.set_status(&item.id, Some(status), &stamp);
    }
    doc
}

/// Real sync messages to mutate.
pub fn seeds() -> Vec<Vec<u8>> {
    let base = base_document();
    let mut seeds = Vec::new();
    // A device's first request, from nothing and from a copy.
    let empty = Inspection::empty();
    seeds.extend(empty.generate_sync_message(&mut SyncState::new()));
    let mut copy = base.fork();
    seeds.extend(copy.generate_sync_message(&mut SyncState::new()));
    // The base answering a device with nothing: a whole document or its changes.
    let mut state = SyncState::new();
    let first = empty.generate_sync_message(&mut SyncState::new());
    if let Some(first) = first {
        let mut server = base.fork();
        let _ = server.receive_sync_message(&mut state, &first);
        seeds.extend(server.generate_sync_message(&mut state));
    }
    // Stamped edits by the fuzz writer on a copy, sent to the base.
    let stamp = Stamp::new(Author::new("u-fuzz", "模糊"), Timestamp(1));
    let _ = copy.set_status(&ItemId::from("T1.01"), Some(Status::NonCompliant), &stamp);
    let _ = copy.edit_note(&ItemId::from("T1.02"), 0, 0, "记录齐全", &stamp);
    let mut to_base = SyncState::new();
    let mut from_copy = SyncState::new();
    let mut base_copy = base.fork();
    for _ in 0..4 {
        if let Some(m) = copy.generate_sync_message(&mut to_base) {
            seeds.push(m.clone());
            let _ = base_copy.receive_sync_message(&mut from_copy, &m);
        }
        if let Some(m) = base_copy.generate_sync_message(&mut from_copy) {
            let _ = copy.receive_sync_message(&mut to_base, &m);
        }
    }
    seeds
}

/// One execution: `data` on a fresh engine as reader and as writer. Returns what happened, counting a
/// contained automerge panic as `true`.
pub fn execute(base: &Inspection, data: &[u8]) -> bool {
    let mut contained = false;
    for role in [
        PeerRole { writer: None },
        PeerRole {
            writer: Some(fuzz_writer()),
        },
    ] {
        let mut engine = DocEngine::new(base.fork(), DocLimits::default(), 0);
        let mut state = DocEngine::<Inspection>::state_for(&role);
        if engine.receive(&mut state, &role, data) == Handled::Panicked {
            contained = true;
            continue;
        }
        if engine.generate(&mut state).is_err() {
            contained = true;
        }
    }
    contained
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(4) {
        if data.is_empty() {
            data.push(0x42);
        }
        let at = rng.below(data.len());
        match rng.below(7) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
            // A LEB128 extreme: 2^28, 2^32 or 2^63 where a count or length stands.
            2 => {
                let big: &[u8] = match rng.below(3) {
                    0 => &[0x80, 0x80, 0x80, 0x80, 0x01],
                    1 => &[0xff, 0xff, 0xff, 0xff, 0x0f],
                    _ => &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
                };
                data.splice(at..(at + 1).min(data.len()), big.iter().copied());
            }
            3 => data.truncate(at.max(1)),
            4 => {
                let other = &others[rng.below(others.len())];
                let from = rng.below(other.len());
                let len = rng.below(64).min(other.len() - from);
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            5 => {
                let end = (at + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            _ => {
                let from = rng.below(data.len());
                let len = rng.below(32).min(data.len() - from);
                let chunk = data[from..from + len].to_vec();
                data.splice(at..at, chunk);
            }
        }
    }
    data
}

/// Peak resident memory of this process (VmHWM), in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the fuzzer and prints its figures.
///
/// # Errors
/// If the crash folder cannot be written.
pub fn run(args: FuzzArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    // Contained panics would flood the terminal: count them instead.
    std::panic::set_hook(Box::new(|_| {}));
    let base = base_document();
    let seeds = seeds();
    let mut rng = Rng(args.seed.max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (mut escaped, mut contained, mut saved) = (0u64, 0u64, 0usize);
    let started = Instant::now();
    for n in 0..args.iterations {
        let seed = &seeds[rng.below(seeds.len())];
        let data = mutate(&mut rng, seed, &seeds);
        match catch_unwind(AssertUnwindSafe(|| execute(&base, &data))) {
            Ok(false) => {}
            Ok(true) => {
                contained += 1;
                if saved < 64 {
                    std::fs::create_dir_all(&args.crashes)?;
                    let name = format!("crash-{:016x}", hash(&data));
                    std::fs::write(args.crashes.join(name), &data)?;
                    saved += 1;
                }
            }
            Err(_) => {
                escaped += 1;
                std::fs::create_dir_all(&args.crashes)?;
                std::fs::write(args.crashes.join(format!("escaped-{n}")), &data)?;
            }
        }
        if n > 0 && n % 100_000 == 0 {
            writeln!(
                out,
                "  {n} executions, {contained} contained panics, {escaped} escaped, peak RSS {} MiB",
                peak_rss_kib() / 1024
            )?;
        }
    }
    let _ = std::panic::take_hook();
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "fuzz-sync: {} executions in {secs:.0} s ({:.0}/s), {} seeds; automerge panics contained: {contained}; \
         panics escaped: {escaped}; inputs saved: {saved}; peak RSS {} MiB",
        args.iterations,
        args.iterations as f64 / secs.max(0.001),
        seeds.len(),
        peak_rss_kib() / 1024
    )?;
    if escaped > 0 {
        anyhow::bail!("{escaped} panics escaped the document engine");
    }
    Ok(())
}

fn hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}
