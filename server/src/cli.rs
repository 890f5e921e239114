//! The command line: parsing with clap, and each command writing its output to a given writer so tests
//! can run commands in-process as well as through the binary.

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use zhigai_shared::{FacilityProfile, FacilityType, Service, Template};

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
    /// The checklist template.
    #[command(subcommand)]
    Template(TemplateCommand),
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
/// Only if writing to `out` fails.
pub fn run(cli: Cli, out: &mut impl Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Template(TemplateCommand::Export) => {
            writeln!(out, "{}", Template::national().to_json())?;
        }
        Command::Template(TemplateCommand::Applicable(args)) => {
            let profile = FacilityProfile {
                facility_type: args.facility_type,
                open_beds: args.beds,
                services: args.services,
            };
            let items = Template::national().applicable_items(&profile);
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
