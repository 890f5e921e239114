//! The command line: parsing with clap, and each command writing its output to a given writer so tests
//! can run commands in-process as well as through the binary.

use crate::auth::hash_password;
use crate::config::Settings;
use crate::db::{self, City, Community, County, Facility, Province, User};
use crate::startup::{Application, shutdown_signal};
use crate::templates;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use zhigai_shared::access::{Level, Role, Scope};
use zhigai_shared::api::CountyKind;
use zhigai_shared::template::{Derivation, Difference, TemplateRef};
use zhigai_shared::{FacilityId, FacilityProfile, FacilityType, Service, Template, UserId};

/// zhigai (质改): self-inspection and rectification for primary-care medical quality, 2026–2028.
#[derive(Debug, Parser)]
#[command(name = "zhigai-server", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sync server (SQLite file zhigai.db and port 8080 unless told otherwise).
    Serve(ServeArgs),
    /// Seed the demo county into the database and print its accounts.
    Demo(DbArgs),
    /// Manage counties, communities, facilities and users.
    Admin(AdminArgs),
    /// The checklist template.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Load-test a server: simulated clients editing shared documents.
    Bench(crate::bench::BenchArgs),
    /// Time the county dashboard's endpoints on a generated province (500 facilities per county).
    BenchCounty(crate::bench_county::BenchCountyArgs),
    /// Fuzz the server's handling of one sync frame (reader and writer) and print the figures.
    FuzzSync(crate::fuzz::FuzzArgs),
}

/// `serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Server settings.
    #[command(flatten)]
    pub settings: Settings,
    /// Seed the demo county first if the database lacks it.
    #[arg(long)]
    pub demo: bool,
}

/// Which database.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// `sqlite://zhigai.db` (default) or `postgres://…`.
    #[arg(
        long,
        env = "ZHIGAI_DATABASE_URL",
        default_value = "sqlite://zhigai.db"
    )]
    pub database_url: String,
}

/// `admin …`: the database, then what to do.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Which database.
    #[command(flatten)]
    pub db: DbArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The admin commands: the directory's levels top down (province, city, county or district, medical
/// community, facility), then accounts.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a province.
    AddProvince {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Add a city (its QC centre follows every facility in it).
    AddCity {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its province.
        #[arg(long)]
        province: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Add a county or an urban district.
    AddCounty {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its city.
        #[arg(long)]
        city: Option<String>,
        /// county (县, 医共体) or district (区, 区社一体).
        #[arg(long, default_value = "county")]
        kind: CountyKind,
        /// Review in two steps: the medical community's 初审, then the county's 审核.
        #[arg(long)]
        two_step: bool,
    },
    /// Choose one-step or two-step review for a county.
    SetReviewSteps {
        /// The county.
        #[arg(long)]
        county: String,
        /// 1 (the county reviews) or 2 (the medical community first, then the county).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
        steps: u8,
    },
    /// Add a medical community (医共体; 区社一体 in a district).
    AddCommunity {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its county.
        #[arg(long)]
        county: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its lead hospital's name.
        #[arg(long)]
        lead_hospital: String,
        /// The lead hospital as a facility of the directory (its staff may own problems of members).
        #[arg(long)]
        lead_facility: Option<String>,
    },
    /// Add a facility.
    AddFacility {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its county.
        #[arg(long)]
        county: String,
        /// Its medical community.
        #[arg(long)]
        community: Option<String>,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its type: central_township, township, community_centre, village_clinic, community_station.
        #[arg(long = "type")]
        facility_type: FacilityType,
        /// Beds actually open.
        #[arg(long, default_value_t = 0)]
        beds: u32,
        /// Services, comma-separated: inpatient, surgery, emergency, lab, imaging, tcm, family_doctor, transfusion.
        #[arg(long, value_delimiter = ',')]
        services: Vec<Service>,
        /// For a village clinic or station: the township or community centre that guides it (乡村一体化).
        #[arg(long)]
        guided_by: Option<String>,
    },
    /// Add a user. Give the one place the role belongs to: --facility (member, head), --community
    /// (community_reviewer), --county (reviewer), --city (city_reviewer), --province (province_viewer); an
    /// admin takes any one of them and reads everything below it.
    AddUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Display name (王医生).
        #[arg(long)]
        name: String,
        /// member, head, community_reviewer, reviewer, city_reviewer, province_viewer or admin.
        #[arg(long)]
        role: Role,
        /// The facility (members, heads).
        #[arg(long, group = "place")]
        facility: Option<String>,
        /// The medical community (its QC reviewers).
        #[arg(long, group = "place")]
        community: Option<String>,
        /// The county or district (reviewers).
        #[arg(long, group = "place")]
        county: Option<String>,
        /// The city (its QC centre).
        #[arg(long, group = "place")]
        city: Option<String>,
        /// The province (viewers).
        #[arg(long, group = "place")]
        province: Option<String>,
        /// The password (or set ZHIGAI_PASSWORD).
        #[arg(long, env = "ZHIGAI_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set a user's password.
    ResetPassword {
        /// Login name.
        #[arg(long)]
        username: String,
        /// The new password (or set ZHIGAI_PASSWORD).
        #[arg(long, env = "ZHIGAI_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Log a user out everywhere (a lost tablet).
    RevokeSessions {
        /// Login name.
        #[arg(long)]
        username: String,
    },
}

/// `zhigai-server template …`
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Print the national baseline template as JSON.
    Export,
    /// Print the ids of the items that apply to a facility, one per line.
    Applicable(ApplicableArgs),
    /// Print a skeleton file for a checklist version a province, city or county derives from its parent.
    Derive {
        /// Which database (to find a published parent).
        #[command(flatten)]
        db: DbArgs,
        /// The parent: `national-2026` (its newest version) or `id@version`.
        #[arg(long)]
        from: String,
        /// The new checklist's id (the place's own, such as `zj-2026`).
        #[arg(long)]
        id: String,
        /// Who publishes it: `province:ID`, `city:ID` or `county:ID`.
        #[arg(long)]
        publisher: String,
    },
    /// Check and publish a derived version from its file; print what differs from its parent.
    Publish {
        /// Which database.
        #[command(flatten)]
        db: DbArgs,
        /// The file (TOML) `template derive` started.
        file: std::path::PathBuf,
        /// The first year it applies to (default: next year).
        #[arg(long)]
        from_year: Option<u16>,
    },
    /// Print what a version changes from its parent.
    Diff {
        /// Which database.
        #[command(flatten)]
        db: DbArgs,
        /// `id@version`, or `id` for its newest version.
        template: String,
    },
    /// List every checklist version: the national baselines and those published.
    List {
        /// Which database.
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The facility to list applicable items for.
#[derive(Debug, Args)]
pub struct ApplicableArgs {
    /// Facility type: central_township, township, community_centre, village_clinic, community_station.
    #[arg(long = "type", value_name = "FACILITY-TYPE")]
    pub facility_type: FacilityType,
    /// Beds actually open.
    #[arg(long, default_value_t = 0)]
    pub beds: u32,
    /// Services offered, comma-separated: inpatient, surgery, emergency, lab, imaging, tcm, family_doctor,
    /// transfusion.
    #[arg(long, value_delimiter = ',', value_name = "SERVICES")]
    pub services: Vec<Service>,
    /// The facility belongs to a medical alliance (医共体 or 区社一体).
    #[arg(long)]
    pub alliance: bool,
    /// Print JSON (`{"wave", "count", "items"}`) instead of one id per line.
    #[arg(long)]
    pub json: bool,
}

/// Runs a parsed command, writing its output to `out`.
///
/// # Errors
/// If the command fails; the message says what to do.
pub async fn run(cli: Cli, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args, out).await,
        Command::Demo(db) => {
            let store = db::connect(&db.database_url).await?;
            let accounts = crate::demo::seed(store.as_ref()).await?;
            crate::demo::publish_province_checklist(store.as_ref()).await?;
            print_demo(&accounts, out)
        }
        Command::Admin(args) => admin(args, out).await,
        Command::Template(cmd) => template(cmd, out).await,
        Command::Bench(args) => crate::bench::run(args, out).await,
        Command::BenchCounty(args) => crate::bench_county::run(args, out).await,
        Command::FuzzSync(args) => crate::fuzz::run(args, out),
    }
}

async fn serve(args: ServeArgs, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    let app = Application::build(args.settings.clone()).await?;
    if args.demo {
        let accounts = crate::demo::seed(app.store().as_ref()).await?;
        crate::demo::publish_province_checklist(app.store().as_ref()).await?;
        print_demo(&accounts, out)?;
    }
    if !args.settings.static_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %args.settings.static_dir.display(),
            "no built clinic app there: only the API is served (scripts/run builds it)"
        );
    }
    // The address line is the last thing written to standard output: whoever started the server may stop
    // reading after it, and a closed pipe must not stop the server.
    let _ = writeln!(
        out,
        "zhigai listening on http://{}:{}",
        args.settings.host,
        app.port()
    );
    let _ = out.flush();
    app.run_until(shutdown_signal()).await
}

fn print_demo(accounts: &[crate::demo::Account], out: &mut impl Write) -> anyhow::Result<()> {
    if accounts.is_empty() {
        writeln!(
            out,
            "demo already present (accounts use password {})",
            crate::demo::PASSWORD
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "demo seeded (示范省 › 示范市: 清河县, two-step review; 新城区); every account's password is {}",
        crate::demo::PASSWORD
    )?;
    writeln!(out, "{:<24} {:<12} {:<10} 所属", "username", "name", "role")?;
    for a in accounts {
        writeln!(
            out,
            "{:<24} {:<12} {:<10} {}",
            a.username,
            a.name,
            a.role.name_zh(),
            a.scope
        )?;
    }
    Ok(())
}

async fn admin(args: AdminArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let store = db::connect(&args.db.database_url).await?;
    let store = store.as_ref();
    match args.command {
        AdminCommand::AddProvince { id, name } => {
            store
                .insert_province(&Province {
                    id: id.clone(),
                    name,
                })
                .await?;
            writeln!(out, "province {id} added")?;
        }
        AdminCommand::AddCity { id, province, name } => {
            if store.fetch_province(&province).await?.is_none() {
                bail!("no province '{province}': add it first with `admin add-province`");
            }
            store
                .insert_city(&City {
                    id: id.clone(),
                    province_id: province,
                    name,
                })
                .await?;
            writeln!(out, "city {id} added")?;
        }
        AdminCommand::AddCounty {
            id,
            name,
            city,
            kind,
            two_step,
        } => {
            if let Some(city) = &city
                && store.fetch_city(city).await?.is_none()
            {
                bail!("no city '{city}': add it first with `admin add-city`");
            }
            store
                .insert_county(&County {
                    id: id.clone(),
                    name,
                    city_id: city,
                    kind,
                    two_step,
                })
                .await?;
            writeln!(
                out,
                "{} {id} added ({} review step{})",
                kind.word_zh(),
                if two_step { 2 } else { 1 },
                if two_step { "s" } else { "" }
            )?;
        }
        AdminCommand::SetReviewSteps { county, steps } => {
            if !store.set_two_step(&county, steps == 2).await? {
                bail!("no county '{county}'");
            }
            writeln!(out, "county {county} reviews in {steps} step(s)")?;
        }
        AdminCommand::AddCommunity {
            id,
            county,
            name,
            lead_hospital,
            lead_facility,
        } => {
            if store.fetch_county(&county).await?.is_none() {
                bail!("no county '{county}': add it first with `admin add-county`");
            }
            let lead_facility_id = match lead_facility {
                Some(f) => {
                    let found = store
                        .fetch_facility(&FacilityId::new(f.clone()))
                        .await?
                        .with_context(|| {
                            format!("no facility '{f}': add the lead hospital first")
                        })?;
                    if found.county_id != county {
                        bail!(
                            "the lead facility '{f}' is in county '{}', not '{county}'",
                            found.county_id
                        );
                    }
                    Some(found.id)
                }
                None => None,
            };
            store
                .insert_community(&Community {
                    id: id.clone(),
                    county_id: county,
                    name,
                    lead_hospital,
                    lead_facility_id,
                })
                .await?;
            writeln!(out, "community {id} added")?;
        }
        AdminCommand::AddFacility {
            id,
            county,
            community,
            name,
            facility_type,
            beds,
            services,
            guided_by,
        } => {
            if store.fetch_county(&county).await?.is_none() {
                bail!("no county '{county}': add it first with `admin add-county`");
            }
            if let Some(c) = &community {
                match store.fetch_community(c).await? {
                    Some(found) if found.county_id == county => {}
                    Some(found) => bail!(
                        "community '{c}' is in county '{}', not '{county}'",
                        found.county_id
                    ),
                    None => bail!("no community '{c}': add it first with `admin add-community`"),
                }
            }
            let guided_by = match guided_by {
                Some(g) => Some(check_guide(store, &g, facility_type, &county).await?),
                None => None,
            };
            let facility = Facility {
                id: FacilityId::new(id.clone()),
                county_id: county,
                community_id: community,
                name,
                facility_type,
                open_beds: beds,
                services,
                guided_by,
            };
            store
                .insert_facility(&facility, &crate::clock::document_years())
                .await?;
            writeln!(
                out,
                "facility {id} added (coverage wave {})",
                facility.profile().wave().deadline_year()
            )?;
        }
        AdminCommand::AddUser {
            username,
            name,
            role,
            facility,
            community,
            county,
            city,
            province,
            password,
        } => {
            let given = [
                facility.map(|id| Scope::new(Level::Facility, id)),
                community.map(|id| Scope::new(Level::Community, id)),
                county.map(|id| Scope::new(Level::County, id)),
                city.map(|id| Scope::new(Level::City, id)),
                province.map(|id| Scope::new(Level::Province, id)),
            ];
            let Some(scope) = given.into_iter().flatten().next() else {
                bail!("give the place a {role} belongs to: {}", place_flag(role));
            };
            if role.level().is_some_and(|l| l != scope.level())
                || (role == Role::Admin && scope.level() == Level::Facility)
            {
                bail!(
                    "a {role} belongs to {}, not to a {}",
                    place_flag(role),
                    scope.level().code()
                );
            }
            if crate::places::ancestry(store, &scope).await?.is_empty() {
                bail!("no {} '{}'", scope.level().code(), scope.id());
            }
            check_password(&password)?;
            let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            let user = User {
                id: UserId::new(format!("u-{username}")),
                username: username.clone(),
                display_name: name,
                role,
                scope,
            };
            store
                .insert_user(&user, &hash, crate::clock::now_ms())
                .await?;
            writeln!(out, "user {username} added")?;
        }
        AdminCommand::ResetPassword { username, password } => {
            check_password(&password)?;
            let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            if !store.update_password(&username, &hash).await? {
                bail!("no user '{username}'");
            }
            writeln!(out, "password of {username} changed")?;
        }
        AdminCommand::RevokeSessions { username } => {
            let n = store
                .revoke_user_sessions(&username, crate::clock::now_ms())
                .await?;
            writeln!(out, "{n} session(s) of {username} revoked")?;
        }
    }
    Ok(())
}

/// The flag naming the place of a role.
fn place_flag(role: Role) -> &'static str {
    match role.level() {
        Some(Level::Facility) => "--facility",
        Some(Level::Community) => "--community",
        Some(Level::County) => "--county",
        Some(Level::City) => "--city",
        Some(Level::Province) => "--province",
        None => "one of --community, --county, --city, --province",
    }
}

/// The guide of a village clinic or station: a township or community centre of the same county.
async fn check_guide(
    store: &dyn db::Store,
    guide: &str,
    guided: FacilityType,
    county: &str,
) -> anyhow::Result<FacilityId> {
    if !matches!(
        guided,
        FacilityType::VillageClinic | FacilityType::CommunityStation
    ) {
        bail!(
            "only a village clinic or community station is guided by a township or community centre"
        );
    }
    let found = store
        .fetch_facility(&FacilityId::new(guide))
        .await?
        .with_context(|| format!("no facility '{guide}' to guide it: add the centre first"))?;
    if !matches!(
        found.facility_type,
        FacilityType::CentralTownship | FacilityType::Township | FacilityType::CommunityCentre
    ) {
        bail!(
            "'{guide}' is a {}: only a township or community health centre guides clinics",
            found.facility_type.name_zh()
        );
    }
    if found.county_id != county {
        bail!(
            "'{guide}' is in county '{}', not '{county}'",
            found.county_id
        );
    }
    Ok(found.id)
}

fn check_password(password: &str) -> anyhow::Result<()> {
    if password.chars().count() < 8 {
        bail!("a password needs at least 8 characters");
    }
    Ok(())
}

/// `id@version` or `id` (its newest version).
async fn template_named(
    store: &dyn db::Store,
    name: &str,
) -> anyhow::Result<(zhigai_shared::api::TemplateInfo, Template)> {
    Ok(match name.split_once('@') {
        Some((id, version)) => {
            let version: u32 = version
                .parse()
                .with_context(|| format!("'{version}' is not a version number"))?;
            templates::find(
                store,
                &TemplateRef {
                    id: id.into(),
                    version,
                },
            )
            .await?
        }
        None => templates::newest(store, name).await?,
    })
}

/// `province:ID`, `city:ID` or `county:ID`.
fn parse_place(text: &str) -> anyhow::Result<Scope> {
    let (level, id) = text
        .split_once(':')
        .with_context(|| format!("'{text}' is not LEVEL:ID, such as province:zj"))?;
    let level: Level = level.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Scope::new(level, id))
}

/// What `template` changes from `parent` (named `parent_name`), one line an item: `+` added, `~` refined
/// with its fields, `-` retired (with the parent's words).
fn write_differences(
    out: &mut impl Write,
    template: &Template,
    parent: Option<&Template>,
    parent_name: &str,
    differences: &[Difference],
) -> anyhow::Result<()> {
    let parent_text = |id: &zhigai_shared::ItemId| {
        parent
            .and_then(|p| p.item(id))
            .map(|i| i.text_zh.clone())
            .unwrap_or_default()
    };
    let parent = parent_name;
    writeln!(
        out,
        "{}@{} against {parent}:",
        template.id, template.version
    )?;
    if differences.is_empty() {
        writeln!(out, "  no differences")?;
    }
    for d in differences {
        let text = template
            .item(d.item())
            .map(|i| i.text_zh.as_str())
            .unwrap_or_default();
        match d {
            Difference::Added { item } => writeln!(out, "  + {item} {text}")?,
            Difference::Retired { item } => writeln!(out, "  - {item} {}", parent_text(item))?,
            Difference::Refined { item, fields } => {
                writeln!(out, "  ~ {item} {text} [{}]", fields.join(", "))?;
            }
        }
    }
    Ok(())
}

async fn template(cmd: TemplateCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        TemplateCommand::Derive {
            db,
            from,
            id,
            publisher,
        } => {
            let store = db::connect(&db.database_url).await?;
            let publisher = parse_place(&publisher)?;
            let (_, parent) = template_named(store.as_ref(), &from).await?;
            let version = templates::infos(store.as_ref())
                .await?
                .iter()
                .filter(|i| i.id.as_str() == id)
                .map(|i| i.version)
                .max()
                .unwrap_or(0)
                + 1;
            write!(
                out,
                "{}",
                templates::skeleton(&id, version, &parent, &publisher)
            )?;
        }
        TemplateCommand::Publish {
            db,
            file,
            from_year,
        } => {
            let store = db::connect(&db.database_url).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let derivation = Derivation::from_toml(&text)?;
            let this_year = crate::clock::today_cst().year();
            let (info, differences) = templates::publish(
                store.as_ref(),
                &derivation,
                from_year,
                this_year,
                crate::clock::now_ms(),
            )
            .await?;
            let (_, template) = templates::find(
                store.as_ref(),
                &TemplateRef {
                    id: info.id.clone(),
                    version: info.version,
                },
            )
            .await?;
            writeln!(
                out,
                "published {}@{}, applies from {}",
                info.id, info.version, info.applies_from
            )?;
            let (_, parent) = templates::find(store.as_ref(), &derivation.parent).await?;
            write_differences(
                out,
                &template,
                Some(&parent),
                &derivation.parent.to_string(),
                &differences,
            )?;
        }
        TemplateCommand::Diff { db, template } => {
            let store = db::connect(&db.database_url).await?;
            let (info, _) = template_named(store.as_ref(), &template).await?;
            let (_, template, differences) = templates::detail(
                store.as_ref(),
                &TemplateRef {
                    id: info.id.clone(),
                    version: info.version,
                },
            )
            .await?;
            let parent = match &info.parent {
                Some(wanted) => Some(templates::find(store.as_ref(), wanted).await?.1),
                None => None,
            };
            let parent_name = info.parent.as_ref().map_or_else(
                || "nothing (a national baseline)".to_owned(),
                ToString::to_string,
            );
            write_differences(out, &template, parent.as_ref(), &parent_name, &differences)?;
        }
        TemplateCommand::List { db } => {
            let store = db::connect(&db.database_url).await?;
            for info in templates::infos(store.as_ref()).await? {
                let by = info.publisher.as_ref().map_or_else(
                    || "national".to_owned(),
                    |p| format!("{}:{}", p.level().code(), p.id()),
                );
                let parent = info
                    .parent
                    .as_ref()
                    .map(|p| format!(" from {p}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}@{}\t{by}{parent}\tapplies from {}\t{}",
                    info.id, info.version, info.applies_from, info.title_zh
                )?;
            }
        }
        TemplateCommand::Export => {
            writeln!(out, "{}", Template::current().to_json())?;
        }
        TemplateCommand::Applicable(args) => {
            let profile = FacilityProfile {
                facility_type: args.facility_type,
                open_beds: args.beds,
                services: args.services,
                alliance: args.alliance,
            };
            let items = Template::current().applicable_items(&profile);
            if args.json {
                let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
                let json = serde_json::json!({
                    "wave": profile.wave().deadline_year(),
                    "count": ids.len(),
                    "items": ids,
                });
                writeln!(out, "{json}")?;
            } else {
                for item in items {
                    writeln!(out, "{}", item.id)?;
                }
            }
        }
    }
    Ok(())
}
