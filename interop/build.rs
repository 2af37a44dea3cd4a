//! Builds the vendored libzmq 4.3.5 (from `zeromq-src`) as a static library,
//! with the DRAFT API and CURVE security backed by the libsodium that
//! `libsodium-sys-stable` has just built from source.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    // `libsodium-sys-stable` declares `links = "sodium"` and prints
    // `cargo:lib=` / `cargo:include=`, which cargo hands to direct dependants
    // as DEP_SODIUM_LIB / DEP_SODIUM_INCLUDE.
    let lib = env::var_os("DEP_SODIUM_LIB")
        .expect("DEP_SODIUM_LIB not set: is libsodium-sys-stable a normal dependency?");
    let include = env::var_os("DEP_SODIUM_INCLUDE")
        .expect("DEP_SODIUM_INCLUDE not set: is libsodium-sys-stable a normal dependency?");

    // libzmq's sources trigger many harmless compiler warnings; the `cc`
    // crate would replay each as a cargo warning on every build of the
    // workspace. `-w` silences them (appended to whatever the user set).
    for var in ["CFLAGS", "CXXFLAGS"] {
        let mut flags = env::var(var).unwrap_or_default();
        flags.push_str(" -w");
        env::set_var(var, flags.trim_start());
    }

    zeromq_src::Build::new()
        .enable_draft(true)
        .with_libsodium(Some(zeromq_src::LibLocation::new(lib, include)))
        .build();
}
