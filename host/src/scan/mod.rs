//! `certwatch scan`: the scheduled scan, run now, for a person at a terminal or a pipeline. The
//! host builds the schedule's event and the settings the flags stand for; the component scans
//! exactly as it does every day, telling its progress through the WIT's `progress` import and
//! listing every certificate it saw (asked for with `CERTWATCH_SCAN_LIST`); the host shows
//! that as a table, JSON or CSV.
//!
//! - `event`: the scheduled event and the flags' settings;
//! - `table`, `csv`: the two ways of showing the list besides JSON;
//! - `progress_line`: the line on a terminal's standard error while the scan runs.

mod accounts_table;
pub mod csv;
pub mod event;
pub mod progress_line;
pub mod table;

use crate::outcome::{self, Outcome, ScannedCertificate};
use crate::progress::ProgressSink;
use crate::runtime::Runtime;
use crate::setup::EventSetup;
use progress_line::ProgressLine;
use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The exit status when `--fail-on-expiring` finds a certificate inside the window.
pub const EXIT_EXPIRING: u8 = 3;
/// The exit status of a scan that failed.
pub const EXIT_FAILED: u8 = 1;

/// `certwatch scan`'s flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScanOptions {
    /// The regions to scan, comma-separated; else `SCAN_REGIONS`, else the configured region.
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Decide everything and change nothing: no finding written, no message sent (as
    /// `DRY_RUN=true`).
    #[arg(long)]
    pub dry_run: bool,
    /// How to show the result: `table` when standard output is a terminal, else `json`.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Exit with status 3 when any certificate certwatch watches is inside the expiry window
    /// (one a filter leaves out does not count).
    #[arg(long)]
    pub fail_on_expiring: bool,
}

/// How the result is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, at most 100 wide, for a person.
    Table,
    /// The scan's outcome, with every certificate it saw.
    Json,
    /// The certificates alone, a header row first.
    Csv,
}

/// What is known of where the output goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub stdout: bool,
    /// Standard error is a terminal.
    pub stderr: bool,
    /// `NO_COLOR` is set (to anything but nothing).
    pub no_colour: bool,
}

impl Terminal {
    /// This process's.
    pub fn detect() -> Self {
        Self {
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
            no_colour: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Why the result could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Standard output or standard error refused it.
    #[error("writing the scan's result: {0}")]
    Write(#[from] std::io::Error),
}

/// What the command prints.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Printed {
    /// On standard output.
    pub stdout: String,
    /// On standard error.
    pub stderr: String,
}

/// Runs the scan with `setup` (or reports why there is none), shows it, and returns the exit
/// status: 0 when the scan ran, 1 when it failed, 3 with `--fail-on-expiring` when a
/// certificate is inside the window.
pub async fn run(
    runtime: &Runtime,
    setup: Result<EventSetup, Outcome>,
    options: &ScanOptions,
) -> Result<u8, ScanError> {
    let terminal = Terminal::detect();
    let (outcome, dry_run) = match setup {
        Ok(setup) => {
            let setup = event::with_flags(setup, &options.regions, options.dry_run);
            let dry_run = event::is_dry_run(&setup);
            (scan(runtime, setup, terminal.stderr).await, dry_run)
        }
        Err(outcome) => (outcome, options.dry_run),
    };
    let printed = present(outcome.clone(), options.format, dry_run, terminal);
    std::io::stdout()
        .lock()
        .write_all(printed.stdout.as_bytes())?;
    std::io::stderr()
        .lock()
        .write_all(printed.stderr.as_bytes())?;
    Ok(exit_status(&outcome, options.fail_on_expiring))
}

/// The scan, its progress drawn on standard error when that is a terminal, and erased once it
/// is done.
async fn scan(runtime: &Runtime, setup: EventSetup, show_progress: bool) -> Outcome {
    let event = event::scheduled_event(time::OffsetDateTime::now_utc());
    if !show_progress {
        return runtime.handle(&event, setup).await;
    }
    let line = Arc::new(Mutex::new(ProgressLine::new(std::io::stderr())));
    let drawing = line.clone();
    let sink: ProgressSink = Box::new(move |progress| {
        if let Ok(mut line) = drawing.lock() {
            line.show(progress, Instant::now());
        }
    });
    let outcome = runtime
        .handle_with_progress(&event, setup, Some(sink))
        .await;
    if let Ok(mut line) = line.lock() {
        line.erase();
    }
    outcome
}

/// What to print for `outcome`, as `format` (else the terminal's default) says.
pub fn present(
    mut outcome: Outcome,
    format: Option<Format>,
    dry_run: bool,
    terminal: Terminal,
) -> Printed {
    let format = format.unwrap_or(match terminal.stdout {
        true => Format::Table,
        false => Format::Json,
    });
    if let Outcome::Scanned(report) = &mut outcome {
        report
            .certificates
            .sort_by(ScannedCertificate::soonest_first);
    }
    match (&outcome, format) {
        (Outcome::Scanned(report), Format::Table) => {
            let style = table::Style {
                colour: terminal.stdout && !terminal.no_colour,
                dry_run,
            };
            Printed {
                stdout: table::render(report, style),
                stderr: String::new(),
            }
        }
        (Outcome::Scanned(report), Format::Csv) => Printed {
            stdout: csv::render(&report.certificates),
            stderr: String::new(),
        },
        (Outcome::Error(failure), Format::Table | Format::Csv) => Printed {
            stdout: String::new(),
            stderr: format!(
                "certwatch: the scan failed ({}): {}\n",
                failure.kind.name(),
                failure.message
            ),
        },
        // JSON, and anything but a scan (which a schedule's event never ends in): the outcome.
        _ => Printed {
            stdout: outcome::to_json(&outcome) + "\n",
            stderr: String::new(),
        },
    }
}

/// 0 when the scan ran, 1 when it did not, 3 when asked to fail on a certificate inside the
/// window and one is.
pub fn exit_status(outcome: &Outcome, fail_on_expiring: bool) -> u8 {
    match outcome {
        Outcome::Scanned(report) if fail_on_expiring && !report.expiring.is_empty() => {
            EXIT_EXPIRING
        }
        Outcome::Scanned(_) => 0,
        _ => EXIT_FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Certificate, ErrorKind, ScanAction, ScanReport};

    fn scanned(days: &[i64]) -> Outcome {
        let certificates = days
            .iter()
            .map(|&d| ScannedCertificate {
                arn: format!("arn:aws:acm:us-east-1:123456789012:certificate/{d}"),
                domain: format!("d{d}.example.com"),
                region: "us-east-1".into(),
                not_after: Some(format!("2027-01-{:02}T00:00:00Z", d.clamp(1, 28))),
                days_left: Some(d),
                in_window: d <= 45,
                kind: Some("IMPORTED".into()),
                in_use: Some(false),
                status: Some("ISSUED".into()),
                action: match d <= 45 {
                    true => ScanAction::FindingRaised,
                    false => ScanAction::Nothing,
                },
                reason: None,
            })
            .collect();
        let expiring = days
            .iter()
            .filter(|&&d| d <= 45)
            .map(|&d| Certificate {
                arn: format!("arn:aws:acm:us-east-1:123456789012:certificate/{d}"),
                domain: format!("d{d}.example.com"),
                not_after: String::new(),
                days_left: d,
            })
            .collect();
        Outcome::Scanned(ScanReport {
            expiring,
            ..table::tests::report(certificates)
        })
    }

    const PIPE: Terminal = Terminal {
        stdout: false,
        stderr: false,
        no_colour: false,
    };
    const TTY: Terminal = Terminal {
        stdout: true,
        stderr: true,
        no_colour: false,
    };

    #[test]
    fn json_on_a_pipe_a_table_on_a_terminal() {
        let json = present(scanned(&[5]), None, false, PIPE);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(value["status"], "scanned");
        let table = present(scanned(&[5]), None, false, TTY);
        assert!(table.stdout.contains("DAYS  EXPIRES"), "{}", table.stdout);
    }

    #[test]
    fn every_format_lists_soonest_first() {
        let unsorted = scanned(&[300, -2, 44, 10]);
        let json = present(unsorted.clone(), Some(Format::Json), false, PIPE);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let days: Vec<i64> = value["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["days_left"].as_i64().unwrap())
            .collect();
        assert_eq!(days, [-2, 10, 44, 300]);
        let csv = present(unsorted.clone(), Some(Format::Csv), false, PIPE);
        let days: Vec<&str> = csv
            .stdout
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(4))
            .collect();
        assert_eq!(days, ["-2", "10", "44", "300"]);
        let table = present(unsorted, Some(Format::Table), false, PIPE).stdout;
        let at = |domain: &str| table.find(domain).unwrap();
        assert!(at("d-2.") < at("d10.") && at("d10.") < at("d44.") && at("d44.") < at("d300."));
    }

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        let on_tty = present(scanned(&[5]), Some(Format::Table), false, TTY);
        assert!(on_tty.stdout.contains('\x1b'));
        let no_colour = Terminal {
            no_colour: true,
            ..TTY
        };
        let plain = present(scanned(&[5]), Some(Format::Table), false, no_colour);
        assert!(!plain.stdout.contains('\x1b'), "{}", plain.stdout);
        let piped = present(scanned(&[5]), Some(Format::Table), false, PIPE);
        assert!(!piped.stdout.contains('\x1b'));
        assert!(piped.stdout.contains("!"));
    }

    #[test]
    fn a_failed_scan_is_said_on_standard_error_or_as_its_outcome() {
        let failed = Outcome::failure(ErrorKind::Configuration, "SCAN_REGIONS: bad", false);
        let table = present(failed.clone(), Some(Format::Table), false, TTY);
        assert_eq!(table.stdout, "");
        assert!(table.stderr.contains("(configuration): SCAN_REGIONS: bad"));
        let json = present(failed.clone(), Some(Format::Json), false, PIPE);
        assert!(
            json.stdout.contains("\"status\": \"error\""),
            "{}",
            json.stdout
        );
        assert_eq!(exit_status(&failed, true), EXIT_FAILED);
    }

    #[test]
    fn exit_3_only_when_asked_and_something_is_inside_the_window() {
        assert_eq!(exit_status(&scanned(&[10, 300]), true), EXIT_EXPIRING);
        assert_eq!(exit_status(&scanned(&[10, 300]), false), 0);
        assert_eq!(exit_status(&scanned(&[300]), true), 0);
    }
}
