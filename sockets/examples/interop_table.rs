//! Builds `INTEROP.md`, the libzmq interoperability table, from the outcomes
//! the interop tests recorded (it never runs or invents a result itself).
//!
//! ```text
//! cargo test -p oxmq-sockets --test interop_matrix --test interop_protocol \
//!     --test interop_zap --test interop_curve -- --include-ignored
//! cargo run -p oxmq-sockets --example interop_table
//! ```
//!
//! (`--include-ignored` also runs the tests kept `#[ignore]`d for known oxmq
//! bugs, so that they appear in the table as "known bug"; `cargo test` then
//! reports them as failures, this program does not.)
//!
//! Every cell of `sockets/tests/interop_*.rs` writes one row file under
//! `target/tmp/interop-matrix/<test binary>/` (pass or fail, with the panic
//! message). This program reads them, keeps for each test binary only the
//! rows written by its newest build (rows of renamed or removed cells, or of
//! older code, are ignored), and renders one Markdown table per section.
//!
//! Options: `--rows DIR` (default: found next to this executable under
//! `target/`), `--out FILE` (default: `INTEROP.md` at the workspace root;
//! `-` prints to stdout), `--timings` (add a column with each cell's
//! duration; off by default so the file only changes when results do).
//!
//! Exits with status 1 when a cell failed or no rows were found. A failed
//! test that is `#[ignore]`d for a documented oxmq bug (run with
//! `--include-ignored`) is shown as "known bug" and does not count.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One recorded cell.
#[derive(Debug, Clone)]
struct Row {
    suite: String,
    section: String,
    section_rank: u32,
    note: String,
    rank: u32,
    cell: String,
    passed: bool,
    millis: u64,
    build: u128,
    columns: Vec<(String, String)>,
    detail: String,
    known_bug: Option<String>,
}

impl Row {
    /// A failure not explained by a known, documented bug.
    fn is_regression(&self) -> bool {
        !self.passed && self.known_bug.is_none()
    }
}

fn parse_row(suite: &str, text: &str) -> Option<Row> {
    let mut row = Row {
        suite: suite.to_string(),
        section: String::new(),
        section_rank: 0,
        note: String::new(),
        rank: 0,
        cell: String::new(),
        passed: false,
        millis: 0,
        build: 0,
        columns: Vec::new(),
        detail: String::new(),
        known_bug: None,
    };
    let mut has_result = false;
    for line in text.lines() {
        let (key, value) = line.split_once('=')?;
        match key {
            "section" => row.section = value.to_string(),
            "section_rank" => row.section_rank = value.parse().ok()?,
            "note" => row.note = value.to_string(),
            "rank" => row.rank = value.parse().ok()?,
            "cell" => row.cell = value.to_string(),
            "result" => {
                has_result = true;
                row.passed = value == "pass";
            }
            "millis" => row.millis = value.parse().ok()?,
            "build" => row.build = value.parse().unwrap_or(0),
            "detail" => row.detail = value.to_string(),
            "known_bug" => row.known_bug = Some(value.to_string()),
            _ => {
                if let Some(col) = key.strip_prefix("col.") {
                    row.columns.push((col.to_string(), value.to_string()));
                }
            }
        }
    }
    (has_result && !row.cell.is_empty() && !row.section.is_empty()).then_some(row)
}

/// `target/tmp/interop-matrix`, searched upwards from this executable
/// (`target/debug/examples/interop_table`).
fn default_rows_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .map(|d| d.join("tmp").join("interop-matrix"))
        .find(|d| d.is_dir())
}

/// Reads every row, keeping per test binary only its newest build's rows.
/// Returns the rows and how many stale ones were skipped.
fn read_rows(dir: &Path) -> std::io::Result<(Vec<Row>, usize)> {
    let mut rows = Vec::new();
    let mut stale = 0;
    let mut suites: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    suites.sort();
    for suite_dir in suites {
        let suite = suite_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut suite_rows = Vec::new();
        for entry in std::fs::read_dir(&suite_dir)?.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "row") {
                let text = std::fs::read_to_string(&path)?;
                match parse_row(&suite, &text) {
                    Some(row) => suite_rows.push(row),
                    None => eprintln!("skipping unreadable row file {}", path.display()),
                }
            }
        }
        let newest = suite_rows.iter().map(|r| r.build).max().unwrap_or(0);
        let before = suite_rows.len();
        suite_rows.retain(|r| r.build == newest);
        stale += before - suite_rows.len();
        rows.extend(suite_rows);
    }
    rows.sort_by(|a, b| {
        (a.section_rank, &a.section, a.rank, &a.cell).cmp(&(
            b.section_rank,
            &b.section,
            b.rank,
            &b.cell,
        ))
    });
    Ok((rows, stale))
}

fn cell_text(s: &str) -> String {
    s.replace('|', "\\|")
}

fn render(rows: &[Row], timings: bool) -> String {
    let total = rows.len();
    let passed = rows.iter().filter(|r| r.passed).count();
    let failed = rows.iter().filter(|r| r.is_regression()).count();
    let known = total - passed - failed;
    let mut out = String::new();
    out.push_str("# Interoperability with libzmq 4.3.5\n\n");
    out.push_str(
        "<!-- Generated by `cargo run -p oxmq-sockets --example interop_table`; do not edit. -->\n\n",
    );
    out.push_str(
        "This file is **generated from a test run, not written by hand**: every row is \
         the recorded outcome of one test in `sockets/tests/interop_matrix.rs`, \
         `interop_protocol.rs`, `interop_zap.rs` or `interop_curve.rs`, where oxmq talks to a real libzmq 4.3.5 \
         (built from crates.io by the test-only `oxmq-interop` crate). To regenerate:\n\n",
    );
    out.push_str(
        "```sh\ncargo test -p oxmq-sockets --test interop_matrix --test interop_protocol \\\n    --test interop_zap --test interop_curve -- --include-ignored\n\
         cargo run -p oxmq-sockets --example interop_table\n```\n\n\
         (`--include-ignored` runs the tests kept `#[ignore]`d for known oxmq bugs too; \
         they show as \"known bug\".)\n\n",
    );
    let _ = write!(out, "**{passed} of {total} cells pass");
    if failed > 0 {
        let _ = write!(out, ", {failed} FAIL");
    }
    if known > 0 {
        let _ = write!(out, ", {known} fail on a known oxmq bug");
    }
    out.push_str(".**\n\n");

    let mut sections: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in rows {
        match sections.last_mut() {
            Some((name, list)) if *name == row.section => list.push(row),
            _ => sections.push((&row.section, vec![row])),
        }
    }
    for (name, list) in sections {
        let _ = writeln!(out, "## {name}\n");
        if let Some(note) = list.iter().map(|r| r.note.as_str()).find(|n| !n.is_empty()) {
            let _ = writeln!(out, "{}\n", note);
        }
        // Columns in order of first appearance.
        let mut columns: Vec<&str> = Vec::new();
        for r in &list {
            for (k, _) in &r.columns {
                if !columns.contains(&k.as_str()) {
                    columns.push(k);
                }
            }
        }
        let mut header = columns.clone();
        header.push("result");
        if timings {
            header.push("ms");
        }
        header.push("test");
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(
            out,
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for r in &list {
            let values: BTreeMap<&str, &str> = r
                .columns
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let mut cells: Vec<String> = columns
                .iter()
                .map(|c| cell_text(values.get(c).copied().unwrap_or("")))
                .collect();
            cells.push(
                if r.passed && r.known_bug.is_some() {
                    "✅ pass (known bug fixed? remove its `#[ignore]`)"
                } else if r.passed {
                    "✅ pass"
                } else if r.known_bug.is_some() {
                    "⚠️ known bug"
                } else {
                    "❌ **FAIL**"
                }
                .to_string(),
            );
            if timings {
                cells.push(r.millis.to_string());
            }
            cells.push(format!("`{}::{}`", r.suite, r.cell));
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
        for r in list.iter().filter(|r| !r.passed) {
            match &r.known_bug {
                Some(bug) => {
                    let _ = writeln!(out, "- ⚠️ `{}::{}` (known bug): {}", r.suite, r.cell, bug);
                }
                None => {
                    let _ = writeln!(out, "- ❌ `{}::{}`: {}", r.suite, r.cell, r.detail);
                }
            }
        }
        if list.iter().any(|r| !r.passed) {
            out.push('\n');
        }
    }
    out
}

fn main() -> ExitCode {
    let mut rows_dir = None;
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out_file = Some(
        manifest_dir
            .parent()
            .unwrap_or(manifest_dir)
            .join("INTEROP.md"),
    );
    let mut timings = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => rows_dir = args.next().map(PathBuf::from),
            "--out" => {
                out_file = match args.next().as_deref() {
                    Some("-") => None,
                    Some(f) => Some(PathBuf::from(f)),
                    None => {
                        eprintln!("--out needs a file name or -");
                        return ExitCode::from(2);
                    }
                }
            }
            "--timings" => timings = true,
            other => {
                eprintln!(
                    "unknown argument {other:?}; see the doc comment of examples/interop_table.rs"
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(rows_dir) = rows_dir.or_else(default_rows_dir) else {
        eprintln!(
            "no recorded rows: run `cargo test -p oxmq-sockets --test interop_matrix --test interop_protocol --test interop_zap --test interop_curve` first"
        );
        return ExitCode::FAILURE;
    };
    let (rows, stale) = match read_rows(&rows_dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot read {}: {e}", rows_dir.display());
            return ExitCode::FAILURE;
        }
    };
    if rows.is_empty() {
        eprintln!("no rows in {}", rows_dir.display());
        return ExitCode::FAILURE;
    }
    let markdown = render(&rows, timings);
    match &out_file {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &markdown) {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{markdown}"),
    }
    let failed = rows.iter().filter(|r| r.is_regression()).count();
    let millis: u64 = rows.iter().map(|r| r.millis).sum();
    eprintln!(
        "{} rows from {} ({} failed, {stale} stale rows of older builds ignored); cells took {millis} ms in total",
        rows.len(),
        rows_dir.display(),
        failed
    );
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
