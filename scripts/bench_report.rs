//! Renders `BENCHMARKS.md` from a benchmark run (used by `scripts/bench-report`).
//!
//! A single file with no dependencies, compiled with plain `rustc`:
//!
//! ```text
//! bench_report <criterion dir> <results dir> <output file>
//! ```
//!
//! It reads every `<criterion dir>/**/new/benchmark.json` (ids, throughput)
//! with its `estimates.json` (the mean time per iteration), the
//! `idle_memory.tsv` and `perf_crosscheck.tsv` files and `run.env` (the
//! commands and timings the script recorded) from the results dir, and the
//! machine's description from `/proc`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------
// A minimal JSON reader (criterion's files are small and well formed).
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Json {
    /// `null`, `true`, `false` or an array: nothing this program reads.
    Other,
    Num(f64),
    Str(String),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", c as char, self.i))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    let key = match self.value()? {
                        Json::Str(k) => k,
                        _ => return Err(format!("object key expected at {}", self.i)),
                    };
                    self.eat(b':')?;
                    fields.push((key, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(fields));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Other);
                }
                loop {
                    self.value()?;
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Other);
                        }
                        _ => return Err(format!("bad array at {}", self.i)),
                    }
                }
            }
            Some(b'"') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    match self.s.get(self.i) {
                        None => return Err("unterminated string".into()),
                        Some(b'"') => {
                            self.i += 1;
                            return Ok(Json::Str(out));
                        }
                        Some(b'\\') => {
                            let c = self.s.get(self.i + 1).copied().unwrap_or(b'"');
                            self.i += 2;
                            match c {
                                b'n' => out.push('\n'),
                                b't' => out.push('\t'),
                                b'u' => {
                                    let hex = std::str::from_utf8(&self.s[self.i..self.i + 4])
                                        .map_err(|e| e.to_string())?;
                                    let code =
                                        u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                                    out.push(char::from_u32(code).unwrap_or('?'));
                                    self.i += 4;
                                }
                                other => out.push(other as char),
                            }
                        }
                        Some(_) => {
                            let start = self.i;
                            while self.i < self.s.len()
                                && self.s[self.i] != b'"'
                                && self.s[self.i] != b'\\'
                            {
                                self.i += 1;
                            }
                            out.push_str(&String::from_utf8_lossy(&self.s[start..self.i]));
                        }
                    }
                }
            }
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Json::Other)
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Json::Other)
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(Json::Other)
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let text =
                    std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                text.parse()
                    .map(Json::Num)
                    .map_err(|e| format!("bad number {text:?}: {e}"))
            }
            None => Err("unexpected end".into()),
        }
    }
}

fn parse_json(text: &str) -> Result<Json, String> {
    Parser {
        s: text.as_bytes(),
        i: 0,
    }
    .value()
}

// ---------------------------------------------------------------------------
// Reading the results
// ---------------------------------------------------------------------------

/// One criterion benchmark: `group/function/value`, and the mean time of one
/// iteration (one message, or one round trip) in nanoseconds.
#[derive(Debug, Clone)]
struct Bench {
    group: String,
    function: String,
    value: String,
    mean_ns: f64,
    lower_ns: f64,
    upper_ns: f64,
}

impl Bench {
    /// Half the width of criterion's 95% confidence interval of the mean,
    /// in percent of the mean.
    fn spread_pct(&self) -> f64 {
        (self.upper_ns - self.lower_ns) / 2.0 / self.mean_ns * 100.0
    }
}

fn find_benchmarks(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let file = path.join("benchmark.json");
                if file.is_file() {
                    out.push(file);
                }
            } else {
                find_benchmarks(&path, out);
            }
        }
    }
}

fn read_benches(criterion: &Path) -> Vec<Bench> {
    let mut files = Vec::new();
    find_benchmarks(criterion, &mut files);
    let mut benches = Vec::new();
    for file in files {
        let read = |p: &Path| {
            std::fs::read_to_string(p)
                .map_err(|e| e.to_string())
                .and_then(|t| parse_json(&t))
        };
        let (Ok(meta), Ok(est)) = (read(&file), read(&file.with_file_name("estimates.json")))
        else {
            eprintln!("bench_report: skipping unreadable {}", file.display());
            continue;
        };
        let mean = est.get("mean");
        let ci = mean.and_then(|m| m.get("confidence_interval"));
        let field = |j: Option<&Json>, k: &str| j.and_then(|j| j.get(k)).and_then(Json::num);
        let (Some(group), Some(function), Some(mean_ns)) = (
            meta.get("group_id").and_then(Json::str),
            meta.get("function_id").and_then(Json::str),
            field(mean, "point_estimate"),
        ) else {
            continue;
        };
        benches.push(Bench {
            group: group.to_string(),
            function: function.to_string(),
            value: meta
                .get("value_str")
                .and_then(Json::str)
                .unwrap_or("")
                .to_string(),
            mean_ns,
            lower_ns: field(ci, "lower_bound").unwrap_or(mean_ns),
            upper_ns: field(ci, "upper_bound").unwrap_or(mean_ns),
        });
    }
    benches
}

fn read_tsv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let keys: Vec<&str> = header.split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            keys.iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// `KEY=value` lines written by the script.
fn read_env(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn memory() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into())
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

const IMPS: [(&str, &str); 3] = [("oxmq", "oxmq"), ("libzmq", "libzmq"), ("zmqrs", "zmq.rs")];

fn rate(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.2} M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

fn bandwidth(bytes_per_s: f64) -> String {
    let mib = bytes_per_s / (1024.0 * 1024.0);
    if mib >= 1024.0 {
        format!("{:.2} GiB/s", mib / 1024.0)
    } else if mib >= 10.0 {
        format!("{mib:.0} MiB/s")
    } else {
        format!("{mib:.1} MiB/s")
    }
}

fn micros(ns: f64) -> String {
    let us = ns / 1000.0;
    if us >= 100.0 {
        format!("{us:.0}")
    } else if us >= 10.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.2}")
    }
}

fn ratio(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{r:.2}×"),
        None => "–".into(),
    }
}

/// Bytes in a size label such as `100B`, `64KiB`, `1MiB`.
fn label_bytes(label: &str) -> Option<f64> {
    let (num, mult) = if let Some(n) = label.strip_suffix("MiB") {
        (n, 1024.0 * 1024.0)
    } else if let Some(n) = label.strip_suffix("KiB") {
        (n, 1024.0)
    } else {
        (label.strip_suffix('B')?, 1.0)
    };
    num.parse::<f64>().ok().map(|n| n * mult)
}

/// Sort key for values such as `8B`, `1KiB`, `100subs`, `50peers`.
fn value_key(v: &str) -> f64 {
    label_bytes(v).unwrap_or_else(|| {
        v.trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .unwrap_or(f64::MAX)
    })
}

struct Results {
    benches: Vec<Bench>,
}

impl Results {
    fn get(&self, group: &str, function: &str, value: &str) -> Option<&Bench> {
        self.benches
            .iter()
            .find(|b| b.group == group && b.function == function && b.value == value)
    }

    fn values(&self, group: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .benches
            .iter()
            .filter(|b| b.group == group)
            .map(|b| b.value.clone())
            .collect();
        values.sort_by(|a, b| value_key(a).total_cmp(&value_key(b)));
        values.dedup();
        values
    }

    /// oxmq's figure divided by `other`'s, for a rate (higher is better:
    /// time ratio inverted) or a latency (lower is better: time ratio).
    fn ratio(&self, group: &str, value: &str, other: &str, latency: bool) -> Option<f64> {
        let ox = self.get(group, "oxmq", value)?.mean_ns;
        let them = self.get(group, other, value)?.mean_ns;
        Some(if latency { ox / them } else { them / ox })
    }
}

/// A table of one group: rows are values, columns the implementations'
/// figures and oxmq's ratios.
fn table(
    out: &mut String,
    r: &Results,
    group: &str,
    latency: bool,
    with_bandwidth: bool,
    first_col: &str,
) {
    let values = r.values(group);
    if values.is_empty() {
        let _ = writeln!(out, "_No results for `{group}` in this run._\n");
        return;
    }
    let unit = if latency { "µs" } else { "msg/s" };
    let _ = write!(out, "| {first_col} |");
    for (_, name) in IMPS {
        let _ = write!(out, " {name} ({unit}) |");
    }
    let _ = writeln!(out, " oxmq/libzmq | oxmq/zmq.rs |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for value in values {
        let _ = write!(out, "| {value} |");
        for (id, _) in IMPS {
            let cell = match r.get(group, id, &value) {
                None => "n/a".to_string(),
                Some(b) if latency => micros(b.mean_ns),
                Some(b) => {
                    let per_s = 1e9 / b.mean_ns;
                    match label_bytes(&value).filter(|_| with_bandwidth) {
                        Some(bytes) if bytes >= 1024.0 => {
                            format!("{} ({})", rate(per_s), bandwidth(per_s * bytes))
                        }
                        _ => rate(per_s),
                    }
                }
            };
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(
            out,
            " {} | {} |",
            ratio(r.ratio(group, &value, "libzmq", latency)),
            ratio(r.ratio(group, &value, "zmqrs", latency))
        );
    }
    let _ = writeln!(out);
}

fn headline(out: &mut String, r: &Results) {
    struct Target {
        what: &'static str,
        group: &'static str,
        value: &'static str,
        other: &'static str,
        latency: bool,
        goal: f64,
        goal_text: &'static str,
    }
    let targets = [
        Target {
            what: "tcp 100 B PUSH/PULL throughput",
            group: "pushpull/tcp",
            value: "100B",
            other: "libzmq",
            latency: false,
            goal: 1.0,
            goal_text: "≥ 1.0× libzmq",
        },
        Target {
            what: "inproc 100 B PUSH/PULL throughput",
            group: "pushpull/inproc",
            value: "100B",
            other: "libzmq",
            latency: false,
            goal: 2.0,
            goal_text: "≥ 2.0× libzmq",
        },
        Target {
            what: "tcp 100 B REQ/REP round-trip latency",
            group: "reqrep/tcp",
            value: "100B",
            other: "libzmq",
            latency: true,
            goal: 1.1,
            goal_text: "≤ 1.1× libzmq",
        },
        Target {
            what: "tcp 1 MiB PUSH/PULL bandwidth",
            group: "pushpull/tcp",
            value: "1MiB",
            other: "libzmq",
            latency: false,
            goal: 1.0,
            goal_text: "≥ 1.0× libzmq",
        },
        Target {
            what: "inproc 1 MiB PUSH/PULL (no body copy: msg/s)",
            group: "pushpull/inproc",
            value: "1MiB",
            other: "libzmq",
            latency: false,
            goal: 1.0,
            goal_text: "≥ 1.0× libzmq",
        },
    ];
    let _ = writeln!(
        out,
        "| target (issue 7) | oxmq | libzmq | oxmq/libzmq | goal | met |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|---|");
    for t in targets {
        let fig = |imp: &str| {
            r.get(t.group, imp, t.value).map(|b| {
                let shown = if t.latency {
                    format!("{} µs", micros(b.mean_ns))
                } else {
                    let per_s = 1e9 / b.mean_ns;
                    let moves_bytes = !t.group.ends_with("inproc");
                    match label_bytes(t.value).filter(|&b| b >= 1024.0 && moves_bytes) {
                        Some(bytes) => bandwidth(per_s * bytes),
                        None => format!("{} msg/s", rate(per_s)),
                    }
                };
                format!("{shown} ±{:.0}%", b.spread_pct())
            })
        };
        let ratio_value = r.ratio(t.group, t.value, t.other, t.latency);
        let met = match ratio_value {
            None => "–",
            Some(x) if (t.latency && x <= t.goal) || (!t.latency && x >= t.goal) => "yes",
            Some(_) => "**no**",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            t.what,
            fig("oxmq").unwrap_or_else(|| "n/a".into()),
            fig(t.other).unwrap_or_else(|| "n/a".into()),
            ratio(ratio_value),
            t.goal_text,
            met
        );
    }
    let _ = writeln!(out);
}

/// Every cell where oxmq trails libzmq by more than 10%, worst first.
fn behind(out: &mut String, r: &Results) {
    let mut cells: Vec<(f64, String)> = Vec::new();
    for b in r.benches.iter().filter(|b| b.function == "oxmq") {
        let latency = b.group.starts_with("reqrep");
        let Some(x) = r.ratio(&b.group, &b.value, "libzmq", latency) else {
            continue;
        };
        // How many times worse oxmq is (1 = even).
        let worse = if latency { x } else { 1.0 / x };
        if worse > 1.1 {
            let what = if latency { "latency" } else { "rate" };
            cells.push((
                worse,
                format!("`{}/{}`: {what} {}", b.group, b.value, ratio(Some(x))),
            ));
        }
    }
    if cells.is_empty() {
        let _ = writeln!(out, "Nowhere by more than 10% in this run.\n");
        return;
    }
    cells.sort_by(|a, b| b.0.total_cmp(&a.0));
    let _ = writeln!(
        out,
        "Cells where oxmq trails libzmq by more than 10% (oxmq/libzmq), worst first:\n"
    );
    for (_, cell) in cells {
        let _ = writeln!(out, "- {cell}");
    }
    let _ = writeln!(out);
}

fn idle_memory(out: &mut String, rows: &[BTreeMap<String, String>]) {
    if rows.is_empty() {
        let _ = writeln!(out, "_Not measured in this run._\n");
        return;
    }
    let num = |row: &BTreeMap<String, String>, k: &str| -> f64 {
        row.get(k).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    };
    let n = num(&rows[0], "connections");
    let _ = writeln!(
        out,
        "{} idle tcp connections (DEALER → ROUTER), RSS increase over each process's baseline:\n",
        n
    );
    let _ = writeln!(
        out,
        "| impl | server (ROUTER) | per connection | client (DEALERs) | per connection | vs libzmq (server / client) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    let delta = |row: &BTreeMap<String, String>, side: &str| {
        num(row, &format!("{side}_after_kib")) - num(row, &format!("{side}_base_kib"))
    };
    let libzmq = rows
        .iter()
        .find(|r| r.get("impl").is_some_and(|i| i == "libzmq"));
    for row in rows {
        let (server, client) = (delta(row, "server"), delta(row, "client"));
        let vs = match libzmq {
            Some(l) => format!(
                "{} / {}",
                ratio(Some(server / delta(l, "server").max(1.0))),
                ratio(Some(client / delta(l, "client").max(1.0)))
            ),
            None => "–".into(),
        };
        let name = row.get("impl").map(String::as_str).unwrap_or("?");
        let name = IMPS
            .iter()
            .find(|(id, _)| *id == name)
            .map_or(name, |(_, n)| n);
        let _ = writeln!(
            out,
            "| {name} | {:.1} MiB | {:.0} B | {:.1} MiB | {:.0} B | {vs} |",
            server / 1024.0,
            server * 1024.0 / n.max(1.0),
            client / 1024.0,
            client * 1024.0 / n.max(1.0),
        );
    }
    let _ = writeln!(out);
}

fn crosscheck(out: &mut String, rows: &[BTreeMap<String, String>]) {
    if rows.is_empty() {
        let _ = writeln!(out, "_Not run._\n");
        return;
    }
    let _ = writeln!(
        out,
        "| test | local (binds) | remote (connects) | count | result |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|");
    for row in rows {
        let g = |k: &str| row.get(k).map(String::as_str).unwrap_or("");
        let value: f64 = g("figure").parse().unwrap_or(0.0);
        let shown = if g("unit") == "msg/s" {
            format!("{} msg/s", rate(value))
        } else {
            format!("{value:.2} µs")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {shown} |",
            g("test"),
            g("local"),
            g("remote"),
            g("count")
        );
    }
    let _ = writeln!(out);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        eprintln!("usage: bench_report <criterion dir> <results dir> <output file>");
        std::process::exit(2);
    }
    let (criterion, results_dir, output) = (Path::new(&args[0]), Path::new(&args[1]), &args[2]);
    let results = Results {
        benches: read_benches(criterion),
    };
    let env = read_env(&results_dir.join("run.env"));
    let e = |k: &str| env.get(k).cloned().unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Benchmarks: oxmq side by side with libzmq and zmq.rs\n"
    );
    let _ = writeln!(
        out,
        "Generated by `scripts/bench-report` on {} from one run of the benches in \
         [`benches/`](benches/). Re-run it to refresh every figure below; nothing here is \
         edited by hand.\n",
        e("DATE")
    );
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| CPU | {} |", cpu_model());
    let _ = writeln!(out, "| cores (available to the run) | {cores} |");
    let _ = writeln!(out, "| memory | {} |", memory());
    let _ = writeln!(
        out,
        "| kernel | {} |",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into())
    );
    let _ = writeln!(out, "| rustc | {} |", command_output("rustc", &["-V"]));
    let _ = writeln!(
        out,
        "| load average (1, 5, 15 min) | before: {} · after: {} |",
        e("LOAD_BEFORE"),
        e("LOAD_AFTER")
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}\n",
        env.get("NOTE").cloned().unwrap_or_else(|| {
            "The machine may have been running other work during the run (see the load \
             averages); every figure of a table was measured in the same run, so the ratios \
             are what to compare."
                .into()
        })
    );

    let _ = writeln!(out, "## Headline\n");
    let _ = writeln!(
        out,
        "Ratios are oxmq / other: for throughput and bandwidth **higher** is better for oxmq, \
         for latency **lower** is better. ± is half of criterion's 95% confidence interval \
         of the mean.\n"
    );
    headline(&mut out, &results);

    let _ = writeln!(out, "### Where oxmq is behind libzmq\n");
    behind(&mut out, &results);

    let _ = writeln!(out, "## How it was measured\n");
    let _ = writeln!(out, "Commands (run from the repository root):\n");
    let _ = writeln!(out, "```sh\n{}\n```\n", e("COMMANDS").replace(" ;; ", "\n"));
    let _ = writeln!(
        out,
        "Wall time: criterion benches {} s, idle memory {} s, perf cross-check {} s.\n",
        e("SECS_CRITERION"),
        e("SECS_IDLE"),
        e("SECS_PERF")
    );
    let _ = writeln!(
        out,
        "- **Implementations.** oxmq (this repository, `{}`); libzmq {} built from source by \
         `zeromq-src` through the test-only `oxmq-interop` crate (optimised like the bench \
         profile; epoll, no eventfd); zmq.rs = crate `zeromq` {} on tokio.",
        e("GIT_REV"),
        e("LIBZMQ_VERSION"),
        e("ZMQRS_VERSION")
    );
    let _ = writeln!(
        out,
        "- **Threads.** libzmq: one I/O thread (`ZMQ_IO_THREADS=1`) plus the application \
         threads of the scenario (a sender and a receiver). oxmq and zmq.rs: one tokio \
         multi-thread runtime with **2 worker threads** — the same core count as libzmq's I/O \
         thread plus one application thread — with sender and receiver in tasks of their own."
    );
    let _ = writeln!(
        out,
        "- **Settings.** HWM 1000 messages (libzmq's default) on both sides of every oxmq and \
         libzmq socket; zmq.rs has no HWM option (its queues hold 100,000 messages). \
         Linger 0. Payload: one constant buffer, sent by libzmq as a constant `zmq_msg_t` \
         (`zmq_msg_init_data`, no copy, no allocation) and by oxmq and zmq.rs as \
         `Bytes::from_static`. Receivers check each message's size; libzmq receives into one \
         reused `zmq_msg_t`."
    );
    let _ = writeln!(
        out,
        "- **Timing.** Sockets, connections and handshakes are set up once per benchmark, \
         outside the timed loop. Criterion's `iter_custom` orders the workers to move N \
         messages (or N round trips) and times until all are through; each figure is \
         criterion's mean time per message / round trip (flat sampling), shown as a rate. \
         Criterion settings: {}.",
        e("CRITERION_ARGS")
    );
    let _ = writeln!(
        out,
        "- **Not covered.** zmq.rs has no `inproc://` transport: those cells are n/a. \
         zmq.rs is not run with 1,000 subscribers: version 0.7.0 intermittently deadlocks \
         there (both tokio workers block in a synchronous hash-map lock in its PUB backend \
         while subscriptions arrive)."
    );
    let _ = writeln!(
        out,
        "- **libzmq in one process.** Both ends of each libzmq benchmark share the context's \
         one I/O thread, and its sender, receiver and I/O threads share the 2 cores; libzmq's \
         own perf tools run each end in a process of its own (two I/O threads), which suits \
         it better on tcp: compare the cross-check table at the end.\n"
    );

    for transport in ["tcp", "ipc", "inproc"] {
        let _ = writeln!(out, "## PUSH/PULL throughput — {transport}\n");
        if transport == "inproc" {
            let _ = writeln!(
                out,
                "inproc passes message bodies by reference (no copy) in oxmq and libzmq, so \
                 there is no bandwidth to show: a rate that does not fall with the size is the \
                 sign that nothing is copied.\n"
            );
        }
        let group = format!("pushpull/{transport}");
        table(
            &mut out,
            &results,
            &group,
            false,
            transport != "inproc",
            "size",
        );
    }
    for (transport, title) in [("tcp", "tcp"), ("ipc", "ipc"), ("inproc", "inproc")] {
        let _ = writeln!(out, "## REQ/REP round-trip latency — {title}\n");
        let _ = writeln!(
            out,
            "One full round trip (libzmq's `remote_lat` prints half of it).\n"
        );
        table(
            &mut out,
            &results,
            &format!("reqrep/{transport}"),
            true,
            false,
            "size",
        );
    }
    let _ = writeln!(out, "## PUB fan-out — tcp, 100 B\n");
    let _ = writeln!(
        out,
        "Messages published per second, each delivered to every subscriber (deliveries per \
         second = rate × subscribers). The publisher keeps at most two batches of 250 \
         messages (a quarter of the HWM each) in flight so that no subscriber ever reaches its \
         HWM: nothing is dropped (libzmq's publisher also reads `ZMQ_EVENTS` before each batch, \
         so that it learns how far its subscribers have read). oxmq and zmq.rs run a task per subscriber; libzmq one thread polling all SUB sockets \
         (`zmq_poll`).\n"
    );
    table(
        &mut out,
        &results,
        "fanout/tcp",
        false,
        false,
        "subscribers",
    );
    let _ = writeln!(out, "## ROUTER/DEALER — tcp, 100 B\n");
    let _ = writeln!(
        out,
        "Round trips per second over all DEALERs; each DEALER keeps 100 requests in flight, \
         the ROUTER echoes each to its sender. libzmq runs the DEALERs on one thread with \
         `zmq_poll`.\n"
    );
    table(
        &mut out,
        &results,
        "routerdealer/tcp",
        false,
        false,
        "DEALERs",
    );
    let _ = writeln!(out, "## CURVE — PUSH/PULL over tcp\n");
    let _ = writeln!(
        out,
        "`benches/curve.rs`: as the PUSH/PULL tcp table, with CURVE on both ends (the PULL is \
         the CURVE server); libzmq 4.3.5 uses libsodium, oxmq RustCrypto (`crypto_box`). zmq.rs \
         has no CURVE. Small messages are dominated by the per-message box set-up, large ones by \
         the XSalsa20 stream: RustCrypto's `poly1305` picks its AVX2 backend at run time, whose \
         per-message set-up costs more than the soft backend for small messages (build with \
         `RUSTFLAGS=\"--cfg poly1305_force_soft\"` to compare), and its `salsa20` has no SIMD \
         backend where libsodium has one.\n"
    );
    table(&mut out, &results, "curve/tcp", false, true, "size");

    let _ = writeln!(out, "## Memory of idle connections\n");
    let _ = writeln!(
        out,
        "`cargo bench --bench idle_memory`: a server process (one ROUTER bound to 100 tcp \
         listeners) and a client process (DEALERs each connected to every listener) per \
         implementation; one message crosses each connection, so every handshake is done. \
         VmRSS from `/proc/self/status` after a 0.5 s settle, minus the process's own baseline \
         (runtime/context and bound ROUTER, before any connection).\n"
    );
    idle_memory(&mut out, &read_tsv(&results_dir.join("idle_memory.tsv")));

    let _ = writeln!(
        out,
        "## `oxmq perf` cross-checked with libzmq's perf tools\n"
    );
    let _ = writeln!(
        out,
        "`cargo bench --bench perf_crosscheck`: libzmq's `perf/local_thr`, `remote_thr`, \
         `local_lat`, `remote_lat`, `inproc_thr`, `inproc_lat` (not built by `zeromq-src`, so \
         re-created on libzmq 4.3.5 through `oxmq-interop`, same programs and output) against \
         `oxmq perf …`, each role in its own process, every pairing. Throughput is what the \
         local side prints; latency is half a round trip as `remote_lat` prints it. tcp, 100 B.\n"
    );
    crosscheck(
        &mut out,
        &read_tsv(&results_dir.join("perf_crosscheck.tsv")),
    );

    if let Err(e) = std::fs::write(output, out) {
        eprintln!("bench_report: cannot write {output}: {e}");
        std::process::exit(1);
    }
    eprintln!(
        "bench_report: {} benchmarks -> {output}",
        results.benches.len()
    );
}
