//! Every stored input of every target, replayed: the committed corpus
//! (`seeds/<target>/`) and the inputs of past findings
//! (`regressions/<target>/`), through the target's body and through its
//! libFuzzer binary as built by `cargo test` (which shows the binaries
//! link and run on stable Rust).

use std::path::{Path, PathBuf};
use std::process::Command;

use oxmq_fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir` (none if it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The inputs stored for `target`.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut all = files(&fuzz_dir().join("seeds").join(target));
    all.extend(files(&fuzz_dir().join("regressions").join(target)));
    all
}

/// The names of the target sources in `fuzz_targets/`.
fn target_sources() -> Vec<String> {
    let mut names: Vec<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            p.file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Each target source has a body in `TARGETS` and seeds; each body has a
/// source.
#[test]
fn every_target_is_registered_and_seeded() {
    let mut registered: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    registered.sort();
    assert_eq!(target_sources(), registered);
    for (name, _) in TARGETS {
        assert!(
            !files(&fuzz_dir().join("seeds").join(name)).is_empty(),
            "{name} has no seed corpus"
        );
    }
}

/// Every stored input through its target's body, in this process.
#[test]
fn stored_inputs_pass_the_bodies() {
    for (name, run) in TARGETS {
        for path in inputs(name) {
            let data = std::fs::read(&path).expect("read input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name} fails on {}", path.display());
        }
    }
}

/// Every stored input through the libFuzzer binary of its target: the
/// binaries `cargo test` built run them once each and exit cleanly.
#[test]
fn libfuzzer_binaries_replay_stored_inputs() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_frame_decoder"))
        .parent()
        .expect("binary directory")
        .to_path_buf();
    for (name, _) in TARGETS {
        let bin = bin_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        // Without input files a libFuzzer binary starts fuzzing and never
        // ends: fail instead.
        let stored = inputs(name);
        assert!(!stored.is_empty(), "{name} has no stored inputs");
        let out = Command::new(&bin)
            .args(&stored)
            .output()
            .expect("run the fuzz binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {}\n{stderr}", out.status);
        // libFuzzer names each input it executed.
        for path in stored {
            assert!(
                stderr.contains(&format!("Running: {}", path.display())),
                "{name} did not run {}",
                path.display()
            );
        }
    }
}
