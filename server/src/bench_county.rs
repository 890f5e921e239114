//! `zhigai-server bench-county`: times the overview endpoints of every level on generated data — by default
//! a province of 10 cities × 10 counties × 500 facilities (50 000), each county in 5 medical communities —
//! as the medical community's, county's, city's and province's reviewers call them over HTTP. The data are
//! directory, summary, area, weak-item and problem rows written straight into a throw-away SQLite file
//! (what syncing that many documents would leave there); the server runs in this process.

use crate::auth::hash_password;
use crate::config::Settings;
use crate::db::{self, City, Community, County, Province, User};
use crate::startup::Application;
use anyhow::Context;
use clap::Args;
use sqlx::sqlite::SqlitePoolOptions;
use std::io::Write;
use std::time::Instant;
use zhigai_shared::access::{Role, Scope};
use zhigai_shared::summary::AreaCounts;
use zhigai_shared::{FacilityProfile, FacilityType, Service, Template, UserId};

/// `bench-county` flags.
#[derive(Debug, Args)]
pub struct BenchCountyArgs {
    /// Cities in the generated province.
    #[arg(long, default_value_t = 10)]
    pub cities: usize,
    /// Counties per city.
    #[arg(long, default_value_t = 10)]
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

/// Medical communities per county.
const COMMUNITIES: usize = 5;

/// Writes the directory, summaries, area counts, weak items and problems.
async fn generate(url: &str, args: &BenchCountyArgs) -> anyhow::Result<()> {
    // Migrations and the directory rows through the store.
    let store = db::connect(url).await?;
    store
        .insert_province(&Province {
            id: "p0".into(),
            name: "测试省".into(),
        })
        .await?;
    for city in 0..args.cities {
        store
            .insert_city(&City {
                id: format!("city{city}"),
                province_id: "p0".into(),
                name: format!("测试市{city}"),
            })
            .await?;
        for c in 0..args.counties {
            let county = format!("c{city}-{c:02}");
            store
                .insert_county(&County {
                    id: county.clone(),
                    name: format!("测试县{city}-{c:02}"),
                    city_id: Some(format!("city{city}")),
                    kind: zhigai_shared::api::CountyKind::County,
                    two_step: true,
                })
                .await?;
            for m in 0..COMMUNITIES {
                store
                    .insert_community(&Community {
                        id: format!("{county}-m{m}"),
                        county_id: county.clone(),
                        name: format!("测试医共体{m}"),
                        lead_hospital: "县人民医院".into(),
                        lead_facility_id: None,
                    })
                    .await?;
            }
        }
    }
    let hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD)).await??;
    for (name, role, scope) in [
        (
            "bench-community",
            Role::CommunityReviewer,
            Scope::Community("c0-00-m0".into()),
        ),
        (
            "bench-reviewer",
            Role::Reviewer,
            Scope::County("c0-00".into()),
        ),
        (
            "bench-city",
            Role::CityReviewer,
            Scope::City("city0".into()),
        ),
        (
            "bench-province",
            Role::ProvinceViewer,
            Scope::Province("p0".into()),
        ),
    ] {
        store
            .insert_user(
                &User {
                    id: UserId::new(name),
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    scope,
                },
                &hash,
                0,
            )
            .await?;
    }
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
    let counties = (0..args.cities)
        .flat_map(|city| (0..args.counties).map(move |c| format!("c{city}-{c:02}")));
    for county in counties {
        let mut tx = pool.begin().await?;
        for f in 0..args.facilities {
            let id = format!("{county}-f{f:03}");
            let (kind, beds) = types[rng.below(types.len() as u64) as usize];
            let services: Vec<Service> = Service::ALL
                .into_iter()
                .filter(|_| rng.below(2) == 0)
                .collect();
            let profile = FacilityProfile {
                facility_type: kind,
                open_beds: beds,
                services: services.clone(),
                alliance: true,
            };
            sqlx::query(
                "INSERT INTO facilities (id, county_id, community_id, name, facility_type, open_beds, services) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(&county)
            .bind(format!("{county}-m{}", f % COMMUNITIES))
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
            let state = [
                "not_submitted",
                "submitted",
                "returned",
                "passed_on",
                "approved",
            ][rng.below(5) as usize];
            for a in &areas {
                sqlx::query(
                    "INSERT INTO area_counts (facility_id, county_id, year, area, applicable, answered, compliant, \
                     partial, non_compliant, not_applicable) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&id)
                .bind(&county)
                .bind(YEAR)
                .bind(&a.area)
                .bind(i64::from(a.applicable))
                .bind(i64::from(a.answered))
                .bind(i64::from(a.compliant))
                .bind(i64::from(a.partial))
                .bind(i64::from(a.non_compliant))
                .bind(i64::from(a.not_applicable))
                .execute(&mut *tx)
                .await?;
            }
            // A few weak items each, drawn from the template (common problems to rank).
            for _ in 0..rng.below(8) {
                let area = &template.areas[rng.below(template.areas.len() as u64) as usize];
                let item = &area.items[rng.below(area.items.len() as u64) as usize];
                sqlx::query(
                    "INSERT INTO weak_items (facility_id, year, item_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(&id)
                .bind(YEAR)
                .bind(item.id.as_str())
                .execute(&mut *tx)
                .await?;
            }
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
        args.cities > 0 && args.counties > 0 && args.facilities > 0 && args.requests > 0,
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
        "generated {} cities × {} counties × {} facilities ({} in all) in {:.1} s",
        args.cities,
        args.counties,
        args.facilities,
        args.cities * args.counties * args.facilities,
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
    let mut tokens = std::collections::HashMap::new();
    for name in [
        "bench-community",
        "bench-reviewer",
        "bench-city",
        "bench-province",
    ] {
        let login: serde_json::Value = http
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({"username": name, "password": PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        tokens.insert(name, login["token"].as_str().context("login")?.to_owned());
    }
    let get = |who: &str, path: String| {
        let (http, token) = (http.clone(), tokens[who].clone());
        async move {
            let r = http.get(path).bearer_auth(token).send().await?;
            anyhow::ensure!(r.status().is_success(), "HTTP {}", r.status());
            Ok(r.bytes().await?.len())
        }
    };
    let n = args.requests;
    let community = format!("{base}/api/communities/c0-00-m0");
    let county = format!("{base}/api/counties/c0-00");
    let city = format!("{base}/api/cities/city0");
    let province = format!("{base}/api/provinces/p0");
    let per_city = args.counties * args.facilities;
    writeln!(
        out,
        "endpoint                                               p50 ms   p95 ms     bytes"
    )?;
    let community_size = args.facilities.div_ceil(COMMUNITIES);
    for (name, who, path, count) in [
        (
            format!("医共体 overview ({community_size} facilities)"),
            "bench-community",
            format!("{community}/summary?year={YEAR}"),
            n,
        ),
        (
            format!("county overview ({} facilities)", args.facilities),
            "bench-reviewer",
            format!("{county}/summary?year={YEAR}"),
            n,
        ),
        (
            // The first call settles this year's pin of every facility; later ones read them.
            format!(
                "county directory with pins ({} facilities)",
                args.facilities
            ),
            "bench-reviewer",
            format!("{base}/api/facilities"),
            n / 5,
        ),
        (
            "county overdue".to_owned(),
            "bench-reviewer",
            format!("{county}/overdue?year={YEAR}"),
            n,
        ),
        (
            "county common problems".to_owned(),
            "bench-reviewer",
            format!("{county}/common?year={YEAR}"),
            n,
        ),
        (
            "county export .csv (facilities)".to_owned(),
            "bench-reviewer",
            format!("{county}/export.csv?year={YEAR}&table=facilities"),
            n / 5,
        ),
        (
            "county export .csv (problems)".to_owned(),
            "bench-reviewer",
            format!("{county}/export.csv?year={YEAR}&table=problems"),
            n / 5,
        ),
        (
            "county export .xlsx".to_owned(),
            "bench-reviewer",
            format!("{county}/export.xlsx?year={YEAR}"),
            n / 5,
        ),
        (
            format!("city overview ({per_city} facilities)"),
            "bench-city",
            format!("{city}/summary?year={YEAR}"),
            n,
        ),
        (
            "city common problems".to_owned(),
            "bench-city",
            format!("{city}/common?year={YEAR}"),
            n,
        ),
        (
            format!("province overview ({} facilities)", per_city * args.cities),
            "bench-province",
            format!("{province}/summary?year={YEAR}"),
            (n / 4).max(1),
        ),
        (
            "province common problems".to_owned(),
            "bench-province",
            format!("{province}/common?year={YEAR}"),
            (n / 4).max(1),
        ),
        (
            "province export .xlsx".to_owned(),
            "bench-province",
            format!("{province}/export.xlsx?year={YEAR}"),
            (n / 20).max(1),
        ),
    ] {
        let (p50, p95, bytes) = time(count.max(1), || get(who, path.clone())).await?;
        writeln!(out, "{name:<52} {p50:>7.1}  {p95:>7.1}  {bytes:>8}")?;
    }
    // The sync path's access check: one indexed lookup of a document id (cold; the connection then
    // caches it).
    let ids: Vec<String> = (0..n)
        .map(|i| {
            zhigai_shared::sync::DocumentId::for_doc(
                zhigai_shared::sync::DocKind::Review,
                &zhigai_shared::FacilityId::new(format!(
                    "c0-{:02}-f{:03}",
                    i % args.counties,
                    i % args.facilities
                )),
                2026,
            )
            .to_string()
        })
        .collect();
    let mut next = ids.iter().cycle();
    let (p50, p95, _) = time(n, || {
        let (store, id) = (store.clone(), next.next().cloned().unwrap_or_default());
        async move {
            let found = store.fetch_document_target(&id).await?;
            anyhow::ensure!(found.is_some(), "document id {id} unknown");
            Ok(1)
        }
    })
    .await?;
    writeln!(
        out,
        "sync access lookup (document id → facility, placement)  {p50:>7.2}  {p95:>7.2}"
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
