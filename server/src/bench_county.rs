//! `zhigai-server bench-county`: times the county reviewer's endpoints on generated data — one county of
//! 500 facilities inside a province of 10 000 (20 counties by default) — and the province roll-up query.
//! The data are summary and problem rows written straight into a throw-away SQLite file (what syncing
//! thousands of documents would leave there); the server runs in this process and is called over HTTP.

use crate::auth::hash_password;
use crate::config::Settings;
use crate::db::{self, County, User};
use crate::startup::Application;
use anyhow::Context;
use clap::Args;
use sqlx::sqlite::SqlitePoolOptions;
use std::io::Write;
use std::time::Instant;
use zhigai_shared::access::Role;
use zhigai_shared::summary::AreaCounts;
use zhigai_shared::{FacilityProfile, FacilityType, Service, Template, UserId};

/// `bench-county` flags.
#[derive(Debug, Args)]
pub struct BenchCountyArgs {
    /// Counties in the generated province.
    #[arg(long, default_value_t = 20)]
    pub counties: usize,
    /// Facilities per county.
    #[arg(long, default_value_t = 500)]
    pub facilities: usize,
    /// Timed requests per endpoint (exports: a fifth of it).
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
}

const PASSWORD: &str = "bench-password";
const YEAR: i64 = 2026;

/// The value below which a share `p` of the sorted `samples` fall.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        f64::NAN
    } else {
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Writes the counties, facilities, summaries and problems.
async fn generate(url: &str, args: &BenchCountyArgs) -> anyhow::Result<()> {
    // Migrations and the directory rows through the store.
    let store = db::connect(url).await?;
    for c in 0..args.counties {
        store
            .insert_county(&County {
                id: format!("c{c:02}"),
                name: format!("测试县{c:02}"),
            })
            .await?;
    }
    let hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD)).await??;
    store
        .insert_user(
            &User {
                id: UserId::new("bench-reviewer"),
                username: "bench-reviewer".into(),
                display_name: "审核员".into(),
                role: Role::Reviewer,
                county_id: "c00".into(),
                facility_id: None,
            },
            &hash,
            0,
        )
        .await?;
    drop(store);

    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let template = Template::current();
    let types = [
        (FacilityType::CentralTownship, 40),
        (FacilityType::Township, 20),
        (FacilityType::CommunityCentre, 30),
        (FacilityType::CommunityStation, 0),
        (FacilityType::VillageClinic, 0),
    ];
    let mut rng = Lcg(2026);
    for c in 0..args.counties {
        let mut tx = pool.begin().await?;
        for f in 0..args.facilities {
            let id = format!("c{c:02}-f{f:03}");
            let (kind, beds) = types[rng.below(types.len() as u64) as usize];
            let services: Vec<Service> = Service::ALL
                .into_iter()
                .filter(|_| rng.below(2) == 0)
                .collect();
            let profile = FacilityProfile {
                facility_type: kind,
                open_beds: beds,
                services: services.clone(),
            };
            sqlx::query(
                "INSERT INTO facilities (id, county_id, community_id, name, facility_type, open_beds, services) \
                 VALUES ($1, $2, NULL, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(format!("c{c:02}"))
            .bind(format!("测试机构{f:03}"))
            .bind(kind.code())
            .bind(i64::from(beds))
            .bind(services.iter().map(|s| s.code()).collect::<Vec<_>>().join(","))
            .execute(&mut *tx)
            .await?;
            // Nine in ten facilities have synced something.
            if rng.below(10) == 0 {
                continue;
            }
            let mut areas = Vec::new();
            for area in &template.areas {
                let applicable = area
                    .items
                    .iter()
                    .filter(|i| i.applies_to.matches(&profile))
                    .count() as u32;
                let answered = rng.below(u64::from(applicable) + 1) as u32;
                let compliant = rng.below(u64::from(answered) + 1) as u32;
                let partial = rng.below(u64::from(answered - compliant) + 1) as u32;
                let non_compliant = rng.below(u64::from(answered - compliant - partial) + 1) as u32;
                areas.push(AreaCounts {
                    area: area.id.to_string(),
                    applicable,
                    answered,
                    compliant,
                    partial,
                    non_compliant,
                    not_applicable: answered - compliant - partial - non_compliant,
                });
            }
            let applicable: u32 = areas.iter().map(|a| a.applicable).sum();
            let answered: u32 = areas.iter().map(|a| a.answered).sum();
            let problems = rng.below(7);
            let state =
                ["not_submitted", "submitted", "returned", "approved"][rng.below(4) as usize];
            sqlx::query(
                "INSERT INTO summaries (facility_id, year, applicable, answered, areas, open_problems, submitted, \
                 review_state, last_edit_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(&id)
            .bind(YEAR)
            .bind(i64::from(applicable))
            .bind(i64::from(answered))
            .bind(serde_json::to_string(&areas)?)
            .bind(problems as i64)
            .bind(i64::from(state != "not_submitted"))
            .bind(state)
            .bind(1_790_000_000_000_i64)
            .execute(&mut *tx)
            .await?;
            for p in 0..problems {
                sqlx::query(
                    "INSERT INTO problems (facility_id, year, problem_id, item_id, description, owner_name, deadline, \
                     status, measure) VALUES ($1, $2, $3, 'T3.02', '处方点评未按月开展', '王医生', $4, $5, '每月点评并公示')",
                )
                .bind(&id)
                .bind(YEAR)
                .bind(format!("p{p}"))
                .bind(format!("2026-{:02}-15", 1 + rng.below(12)))
                .bind(["open", "in_progress", "rectified"][rng.below(3) as usize])
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn time<F, Fut>(n: usize, mut call: F) -> anyhow::Result<(f64, f64, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut samples = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let start = Instant::now();
        bytes = call().await?;
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok((percentile(&samples, 0.5), percentile(&samples, 0.95), bytes))
}

/// Generates the data, starts the server and prints the figures.
///
/// # Errors
/// If the data cannot be written or the server fails.
pub async fn run(args: BenchCountyArgs, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.counties > 0 && args.facilities > 0 && args.requests > 0,
        "all counts must be positive"
    );
    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let started = Instant::now();
    generate(&url, &args)
        .await
        .context("generating the province")?;
    writeln!(
        out,
        "generated {} counties × {} facilities in {:.1} s",
        args.counties,
        args.facilities,
        started.elapsed().as_secs_f64()
    )?;

    let app = Application::build(Settings::for_tests(&url)).await?;
    let store = app.store();
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "bench-reviewer", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("login")?.to_owned();
    let get = |path: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let r = http.get(path).bearer_auth(token).send().await?;
            anyhow::ensure!(r.status().is_success(), "HTTP {}", r.status());
            Ok(r.bytes().await?.len())
        }
    };
    let n = args.requests;
    let county = format!("{base}/api/counties/c00");
    writeln!(
        out,
        "endpoint (county of {} facilities)      p50 ms   p95 ms   bytes",
        args.facilities
    )?;
    for (name, path, count) in [
        (
            "overview   /summary",
            format!("{county}/summary?year={YEAR}"),
            n,
        ),
        (
            "overdue    /overdue",
            format!("{county}/overdue?year={YEAR}"),
            n,
        ),
        (
            "export     .csv (facilities)",
            format!("{county}/export.csv?year={YEAR}&table=facilities"),
            n / 5,
        ),
        (
            "export     .csv (problems)",
            format!("{county}/export.csv?year={YEAR}&table=problems"),
            n / 5,
        ),
        (
            "export     .xlsx",
            format!("{county}/export.xlsx?year={YEAR}"),
            n / 5,
        ),
    ] {
        let (p50, p95, bytes) = time(count.max(1), || get(path.clone())).await?;
        writeln!(out, "{name:<40} {p50:>7.1}  {p95:>7.1}  {bytes:>7}")?;
    }
    let today = crate::clock::today_cst().to_string();
    let (p50, p95, rows) = time(n, || {
        let (store, today) = (store.clone(), today.clone());
        async move { Ok(store.fetch_rollup(YEAR, &today).await?.len()) }
    })
    .await?;
    writeln!(
        out,
        "province roll-up ({} facilities, {rows} counties)  {p50:>7.1}  {p95:>7.1}",
        args.counties * args.facilities
    )?;
    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "zhigai-bench-county-{}",
        &crate::auth::new_secret()[..8]
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
