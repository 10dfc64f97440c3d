//! `offboard report`: the terminations report of `GET /api/reports/terminations`, from the
//! command line, through the same service code: the cases of the period and the
//! population-completeness section (both in JSON; `--section` picks the CSV table). With `--out FILE` the export goes to FILE
//! and its meta (query, parameters, row count, generation time, SHA-256) to `FILE.meta.json`;
//! without it the export goes to standard output and the meta to standard error.

use anyhow::Context;
use std::path::{Path, PathBuf};

use offboard_service::report::{ReportFormat, ReportQuery, ReportSection, parse_bound};

use crate::store;

/// Arguments of `offboard report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// First day of the period (YYYY-MM-DD, UTC) or an RFC 3339 date-time (included).
    #[arg(long)]
    from: String,
    /// Last day of the period (YYYY-MM-DD, included) or an RFC 3339 date-time (excluded).
    #[arg(long)]
    to: String,
    /// Export format.
    #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx", "json"])]
    format: String,
    /// The table a CSV or XLSX export holds: the cases of the period, or the
    /// population-completeness section (HR's leavers of the period against offboard's cases).
    /// JSON holds both.
    #[arg(long, default_value = "terminations", value_parser = ["terminations", "completeness"])]
    section: String,
    /// Write the export to FILE and its meta to FILE.meta.json.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The embedded store's directory; without it, the OFFBOARD_* settings name the store.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

/// Runs `offboard report`.
pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let bound = |text: &str, end: bool, name: &str| {
        parse_bound(text, end).with_context(|| {
            format!("--{name} `{text}` is not a date (YYYY-MM-DD) or an RFC 3339 date-time")
        })
    };
    let q = ReportQuery {
        from: bound(&args.from, false, "from")?,
        to: bound(&args.to, true, "to")?,
        from_as_given: args.from.clone(),
        to_as_given: args.to.clone(),
        format: ReportFormat::parse(&args.format).context("--format must be csv, xlsx or json")?,
        section: ReportSection::parse(&args.section)
            .context("--section must be terminations or completeness")?,
    };
    anyhow::ensure!(
        q.format != ReportFormat::Xlsx || args.out.is_some(),
        "--format xlsx writes a file: give it with --out FILE"
    );
    let opened = store::open(args.data.as_deref()).await?;
    let generated_by = format!("offboard {} ({})", env!("CARGO_PKG_VERSION"), opened.actor);
    let report = opened
        .compliance
        .termination_report(&q, chrono::Utc::now(), &generated_by)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let meta = serde_json::to_vec_pretty(&report.meta)?;
    match &args.out {
        Some(out) => {
            std::fs::write(out, &report.body)
                .with_context(|| format!("writing {}", out.display()))?;
            let meta_path = meta_path(out);
            std::fs::write(&meta_path, &meta)
                .with_context(|| format!("writing {}", meta_path.display()))?;
            eprintln!(
                "{} rows written to {} (sha256 {}); meta in {}",
                report.meta.row_count,
                out.display(),
                report.meta.sha256,
                meta_path.display()
            );
            if let Some(w) = &report.meta.warning {
                eprintln!("WARNING {w}");
            }
            if let Some(n) = &report.meta.note {
                eprintln!("NOTE {n}");
            }
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&report.body)?;
            if q.format == ReportFormat::Json {
                println!();
            }
            eprintln!("{}", String::from_utf8_lossy(&meta));
        }
    }
    Ok(())
}

/// `FILE.meta.json` beside `FILE`.
pub fn meta_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_owned();
    name.push(".meta.json");
    out.with_file_name(name)
}
