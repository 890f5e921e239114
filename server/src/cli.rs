//! The command line: parsing with clap, and each command writing its output to a given writer so tests
//! can run commands in-process as well as through the binary.

use crate::auth::hash_password;
use crate::config::Settings;
use crate::db::{self, Community, County, Facility, User};
use crate::startup::{Application, shutdown_signal};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use zhigai_shared::access::Role;
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

/// The admin commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a county.
    AddCounty {
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Add a medical community (医共体).
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
        /// Its lead hospital.
        #[arg(long)]
        lead_hospital: String,
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
        /// Services, comma-separated: inpatient, surgery, emergency, lab, tcm, family_doctor, transfusion.
        #[arg(long, value_delimiter = ',')]
        services: Vec<Service>,
    },
    /// Add a user.
    AddUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Display name (王医生).
        #[arg(long)]
        name: String,
        /// member, head, reviewer or admin.
        #[arg(long)]
        role: Role,
        /// The county (reviewers, admins).
        #[arg(long)]
        county: Option<String>,
        /// The facility (members, heads).
        #[arg(long)]
        facility: Option<String>,
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
    /// Services offered, comma-separated: inpatient, surgery, emergency, lab, tcm, family_doctor, transfusion.
    #[arg(long, value_delimiter = ',', value_name = "SERVICES")]
    pub services: Vec<Service>,
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
            print_demo(&crate::demo::seed(store.as_ref()).await?, out)
        }
        Command::Admin(args) => admin(args, out).await,
        Command::Template(cmd) => template(cmd, out),
        Command::Bench(args) => crate::bench::run(args, out).await,
        Command::BenchCounty(args) => crate::bench_county::run(args, out).await,
        Command::FuzzSync(args) => crate::fuzz::run(args, out),
    }
}

async fn serve(args: ServeArgs, out: &mut (impl Write + Send)) -> anyhow::Result<()> {
    let app = Application::build(args.settings.clone()).await?;
    if args.demo {
        print_demo(&crate::demo::seed(app.store().as_ref()).await?, out)?;
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
            "demo county already present (accounts use password {})",
            crate::demo::PASSWORD
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "demo county seeded; every account's password is {}",
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
    match args.command {
        AdminCommand::AddCounty { id, name } => {
            store
                .insert_county(&County {
                    id: id.clone(),
                    name,
                })
                .await?;
            writeln!(out, "county {id} added")?;
        }
        AdminCommand::AddCommunity {
            id,
            county,
            name,
            lead_hospital,
        } => {
            if store.fetch_county(&county).await?.is_none() {
                bail!("no county '{county}': add it first with `admin add-county`");
            }
            store
                .insert_community(&Community {
                    id: id.clone(),
                    county_id: county,
                    name,
                    lead_hospital,
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
        } => {
            if store.fetch_county(&county).await?.is_none() {
                bail!("no county '{county}': add it first with `admin add-county`");
            }
            let facility = Facility {
                id: FacilityId::new(id.clone()),
                county_id: county,
                community_id: community,
                name,
                facility_type,
                open_beds: beds,
                services,
            };
            store.insert_facility(&facility).await?;
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
            county,
            facility,
            password,
        } => {
            let (county_id, facility_id) = match (role.is_facility_role(), county, facility) {
                (true, _, Some(f)) => {
                    let found = store
                        .fetch_facility(&FacilityId::new(f.clone()))
                        .await?
                        .with_context(|| format!("no facility '{f}'"))?;
                    (found.county_id, Some(found.id))
                }
                (true, _, None) => bail!("a {role} belongs to a facility: give --facility"),
                (false, Some(c), _) => {
                    store
                        .fetch_county(&c)
                        .await?
                        .with_context(|| format!("no county '{c}'"))?;
                    (c, None)
                }
                (false, None, _) => bail!("a {role} belongs to a county: give --county"),
            };
            check_password(&password)?;
            let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            let user = User {
                id: UserId::new(format!("u-{username}")),
                username: username.clone(),
                display_name: name,
                role,
                county_id,
                facility_id,
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

fn check_password(password: &str) -> anyhow::Result<()> {
    if password.chars().count() < 8 {
        bail!("a password needs at least 8 characters");
    }
    Ok(())
}

fn template(cmd: TemplateCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        TemplateCommand::Export => {
            writeln!(out, "{}", Template::current().to_json())?;
        }
        TemplateCommand::Applicable(args) => {
            let profile = FacilityProfile {
                facility_type: args.facility_type,
                open_beds: args.beds,
                services: args.services,
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
