//! The fuzz targets' bodies on proptest-generated inputs: the stable-Rust
//! twin of each libFuzzer target, part of the normal test suite. Each
//! target gets uniformly random bytes and inputs built from the protocol's
//! grammar (valid frames, greetings, commands, endpoints, then damaged),
//! which reach deeper than random bytes do in a few hundred cases.

use oxmq_fuzz::curve::{self, FrameStep, Header, Mutation, Role, Step};
use oxmq_fuzz::curve_seeds::{self, Expect};
use oxmq_fuzz::{endpoint, frame_decoder, greeting, handshake_curve_client};
use oxmq_fuzz::{handshake_curve_server, handshake_null, handshake_plain, z85};
use proptest::prelude::*;

// ------------------------------------------------------------ builders ----

fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(body.len() + 9);
    if body.len() <= 255 {
        f.push(flags);
        f.push(body.len() as u8);
    } else {
        f.push(flags | 0x02);
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    f.extend_from_slice(body);
    f
}

fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    frame(0x04, &body)
}

fn properties(props: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in props {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(value);
    }
    out
}

fn greeting_bytes(sig: u8, b9: u8, major: u8, minor: u8, mech: &str, server: bool) -> Vec<u8> {
    let mut g = vec![sig, 0, 0, 0, 0, 0, 0, 0, 0, b9, major, minor];
    let mut m = [0u8; 20];
    m[..mech.len()].copy_from_slice(mech.as_bytes());
    g.extend_from_slice(&m);
    g.push(u8::from(server));
    g.extend_from_slice(&[0; 31]);
    g
}

/// Damages `bytes`: truncates at `cut` (a fraction) and flips one byte.
fn damage(mut bytes: Vec<u8>, cut: Option<f64>, flip: Option<(f64, u8)>) -> Vec<u8> {
    if let Some((at, x)) = flip {
        if !bytes.is_empty() {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] ^= x;
        }
    }
    if let Some(c) = cut {
        bytes.truncate((bytes.len() as f64 * c) as usize);
    }
    bytes
}

fn damage_args() -> impl Strategy<Value = (Option<f64>, Option<(f64, u8)>)> {
    (
        proptest::option::weighted(0.3, 0.0..1.0f64),
        proptest::option::weighted(0.3, (0.0..1.0f64, 1..=255u8)),
    )
}

// ---------------------------------------------------------- strategies ----

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..700)
}

const SOCKET_TYPES: [&str; 12] = [
    "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "BOGUS",
];

fn property() -> impl Strategy<Value = (String, Vec<u8>)> {
    prop_oneof![
        prop::sample::select(SOCKET_TYPES.to_vec())
            .prop_map(|t| ("Socket-Type".to_string(), t.as_bytes().to_vec())),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(|v| ("Identity".to_string(), v)),
        (
            "X-[A-Za-z]{1,10}",
            prop::collection::vec(any::<u8>(), 0..40)
        ),
    ]
}

/// A command frame from the handshake and traffic vocabulary.
fn a_command() -> impl Strategy<Value = Vec<u8>> {
    let names = prop::sample::select(vec![
        "READY",
        "ERROR",
        "HELLO",
        "WELCOME",
        "INITIATE",
        "PING",
        "PONG",
        "SUBSCRIBE",
        "CANCEL",
        "X-OTHER",
    ]);
    prop_oneof![
        prop::collection::vec(property(), 0..4).prop_map(|p| command(b"READY", &properties(&p))),
        prop::collection::vec(property(), 0..4).prop_map(|p| command(b"INITIATE", &properties(&p))),
        ("[a-z]{0,8}", "[a-z]{0,8}").prop_map(|(u, p)| {
            let mut d = vec![u.len() as u8];
            d.extend_from_slice(u.as_bytes());
            d.push(p.len() as u8);
            d.extend_from_slice(p.as_bytes());
            command(b"HELLO", &d)
        }),
        prop::sample::select(vec!["400", "300", "500", "nope", ""]).prop_map(|r| {
            let mut d = vec![r.len() as u8];
            d.extend_from_slice(r.as_bytes());
            command(b"ERROR", &d)
        }),
        (names, prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(n, d)| command(n.as_bytes(), &d)),
    ]
}

/// A traffic frame: a message part or a command.
fn a_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (any::<bool>(), prop::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(more, body)| frame(u8::from(more), &body)),
        1 => a_command(),
        1 => any::<u64>().prop_map(|n| {
            let mut f = vec![0x02];
            f.extend_from_slice(&n.to_be_bytes());
            f
        }),
    ]
}

/// A CURVE script header: mostly the right key and compatible types.
fn curve_header() -> impl Strategy<Value = Header> {
    (
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.2),
        any::<u8>(),
        any::<u8>(),
        prop_oneof![3 => Just(0u8), 1 => any::<u8>()],
    )
        .prop_map(|(wrong_key, any_types, a, b, chunk)| Header {
            wrong_key,
            any_types,
            a,
            b,
            chunk,
        })
}

fn a_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        // Mostly near the start: command names, nonces, tags.
        (prop_oneof![3 => 0..48u16, 1 => any::<u16>()], any::<u8>())
            .prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<u16>().prop_map(|to| Mutation::Truncate { to }),
        prop::collection::vec(any::<u8>(), 1..=32).prop_map(|tail| Mutation::Extend { tail }),
    ]
}

/// A handshake step, genuine ones and answers favoured so that many
/// scripts get deep.
fn a_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Genuine),
        3 => Just(Step::Auth { choice: 0 }),
        2 => a_mutation().prop_map(Step::Mutate),
        1 => any::<u8>().prop_map(|index| Step::Replay { index }),
        1 => Just(Step::Drop),
        1 => prop::collection::vec(any::<u8>(), 0..60).prop_map(|body| Step::RawCommand { body }),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(|bytes| Step::RawWire { bytes }),
        1 => any::<u8>().prop_map(|choice| Step::Auth { choice }),
        1 => Just(Step::SpuriousAuth),
    ]
}

fn a_frame_step() -> impl Strategy<Value = FrameStep> {
    prop_oneof![
        3 => (any::<bool>(), any::<u8>(), prop::collection::vec(any::<u8>(), 0..400))
            .prop_map(|(to_sut, flags, body)| FrameStep::Send { to_sut, flags, body }),
        3 => (any::<bool>(), any::<u8>())
            .prop_map(|(to_sut, index)| FrameStep::Deliver { to_sut, index }),
        2 => (any::<bool>(), any::<u8>(), a_mutation())
            .prop_map(|(to_sut, index, mutation)| FrameStep::Tamper { to_sut, index, mutation }),
        1 => (any::<bool>(), any::<u8>())
            .prop_map(|(to_sut, index)| FrameStep::Replay { to_sut, index }),
        1 => (any::<bool>(), prop::collection::vec(any::<u8>(), 0..60))
            .prop_map(|(to_sut, body)| FrameStep::Raw { to_sut, body }),
    ]
}

/// A whole CURVE script.
fn curve_script() -> impl Strategy<Value = Vec<u8>> {
    (
        curve_header(),
        prop::collection::vec(a_step(), 0..6),
        prop::collection::vec(a_frame_step(), 0..16),
    )
        .prop_map(|(h, steps, frames)| curve::script(h, &steps, &frames))
}

// ----------------------------------------------------------- properties ----

proptest! {
    #[test]
    fn frame_decoder_random(data in any_bytes()) {
        frame_decoder::run(&data);
    }

    #[test]
    fn frame_decoder_frames(
        limit in any::<u8>(),
        limit_arg in any::<[u8; 4]>(),
        chunk in any::<u8>(),
        frames in prop::collection::vec(a_frame(), 0..8),
        (cut, flip) in damage_args(),
    ) {
        let mut data = vec![limit];
        // The limit's size argument (how many of these bytes are read
        // depends on `limit`); the chunk byte follows what was read.
        let arg_len = match limit % 5 { 2 => 1, 3 => 2, 4 => 4, _ => 0 };
        data.extend_from_slice(&limit_arg[..arg_len]);
        data.push(chunk);
        data.extend(damage(frames.concat(), cut, flip));
        frame_decoder::run(&data);
    }

    #[test]
    fn greeting_random(data in any_bytes()) {
        greeting::run(&data);
    }

    #[test]
    fn greeting_structured(
        chunk in any::<u8>(),
        sig in prop::sample::select(vec![0xFFu8, 0x00, 0x05]),
        b9 in prop::sample::select(vec![0x7Fu8, 0x7E, 0x01, 0x00]),
        major in 0u8..6,
        minor in 0u8..4,
        mech in prop::sample::select(vec!["NULL", "PLAIN", "CURVE", "", "NULLX"]),
        server in any::<bool>(),
        tail in prop::collection::vec(any::<u8>(), 0..40),
        (cut, flip) in damage_args(),
    ) {
        let mut data = vec![chunk];
        let mut g = greeting_bytes(sig, b9, major, minor, mech, server);
        g.extend_from_slice(&tail);
        data.extend(damage(g, cut, flip));
        greeting::run(&data);
    }

    #[test]
    fn handshake_null_random(data in any_bytes()) {
        handshake_null::run(&data);
    }

    #[test]
    fn handshake_null_commands(
        header in any::<[u8; 4]>(),
        valid_greeting in any::<bool>(),
        cmds in prop::collection::vec(a_command(), 0..4),
        traffic in prop::collection::vec(a_frame(), 0..3),
        (cut, flip) in damage_args(),
    ) {
        let mut data = header.to_vec();
        data[0] = (data[0] & !1) | u8::from(valid_greeting);
        let mut rest = cmds.concat();
        rest.extend(traffic.concat());
        data.extend(damage(rest, cut, flip));
        handshake_null::run(&data);
    }

    #[test]
    fn handshake_plain_random(data in any_bytes()) {
        handshake_plain::run(&data);
    }

    #[test]
    fn handshake_plain_commands(
        header in any::<[u8; 4]>(),
        valid_greeting in any::<bool>(),
        cmds in prop::collection::vec(a_command(), 0..4),
        traffic in prop::collection::vec(a_frame(), 0..3),
        (cut, flip) in damage_args(),
    ) {
        let mut data = header.to_vec();
        data[0] = (data[0] & !1) | u8::from(valid_greeting);
        let mut rest = cmds.concat();
        rest.extend(traffic.concat());
        data.extend(damage(rest, cut, flip));
        handshake_plain::run(&data);
    }

    #[test]
    fn handshake_curve_server_random(data in any_bytes()) {
        handshake_curve_server::run(&data);
    }

    #[test]
    fn handshake_curve_server_scripts(data in curve_script()) {
        handshake_curve_server::run(&data);
    }

    #[test]
    fn handshake_curve_client_random(data in any_bytes()) {
        handshake_curve_client::run(&data);
    }

    #[test]
    fn handshake_curve_client_scripts(data in curve_script()) {
        handshake_curve_client::run(&data);
    }

    #[test]
    fn endpoint_random(role in any::<u8>(), s in any::<String>()) {
        let mut data = vec![role];
        data.extend_from_slice(s.as_bytes());
        endpoint::run(&data);
    }

    #[test]
    fn endpoint_structured(
        role in any::<u8>(),
        s in "(tcp|ipc|inproc|udp|TCP)://(\\*|\\[[0-9a-f:.%]{0,20}\\]|[0-9.]{0,16}|[a-z.-]{0,12}|@[a-z]{0,6}|/[a-z/]{0,10})(:[0-9*]{0,6})?(;[0-9a-z.*:]{0,12})?",
    ) {
        let mut data = vec![role];
        data.extend_from_slice(s.as_bytes());
        endpoint::run(&data);
    }

    #[test]
    fn z85_random(data in any_bytes()) {
        z85::run(&data);
    }

    #[test]
    fn z85_alphabet(
        groups in prop::collection::vec(
            "[0-9a-zA-Z.\\-:+=^!/*?&<>()\\[\\]{}@%$#]{5}", 0..10),
        (cut, flip) in damage_args(),
    ) {
        z85::run(&damage(groups.concat().into_bytes(), cut, flip));
    }
}

/// The hand-written CURVE seeds: each file holds its script, and each
/// script has its documented outcome. With `OXMQ_FUZZ_WRITE_SEEDS=1` the
/// files are (re)written from the scripts first.
#[test]
fn curve_seeds_hold_their_scripts_and_outcomes() {
    let write = std::env::var_os("OXMQ_FUZZ_WRITE_SEEDS").is_some();
    for (target, role) in [
        ("handshake_curve_server", Role::Server),
        ("handshake_curve_client", Role::Client),
    ] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds")
            .join(target);
        for seed in curve_seeds::seeds(role) {
            let path = dir.join(format!("seed-{}", seed.name));
            if write {
                std::fs::create_dir_all(&dir).expect("create the seed directory");
                std::fs::write(&path, &seed.data).expect("write a seed");
            }
            let stored = std::fs::read(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (write it with OXMQ_FUZZ_WRITE_SEEDS=1)",
                    path.display()
                )
            });
            assert_eq!(stored, seed.data, "{} is not its script", path.display());
            let report = curve::run_script(role, &seed.data);
            let what = format!("{target} {}: {report:?}", seed.name);
            match seed.expect {
                Expect::Completes { accepted, rejected } => {
                    assert!(report.completed, "{what}");
                    assert_eq!(
                        (report.frames_accepted, report.frames_rejected),
                        (accepted, rejected),
                        "{what}"
                    );
                }
                Expect::Fails(error) => {
                    assert!(!report.completed, "{what}");
                    assert!(
                        report.failure.as_deref().is_some_and(|f| f.contains(error)),
                        "{what}: expected {error:?}"
                    );
                }
            }
        }
    }
}
