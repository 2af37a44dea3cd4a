//! The hand-written seed scripts of the CURVE targets, each with the
//! outcome it must have: the all-genuine exchange (whole and chunked, with
//! a message phase exercising every frame step), each mutation kind on
//! each command, replays, drops, raw commands and wire bytes, every kind
//! of authenticator answer, an unasked-for answer, the wrong server key
//! and incompatible socket types.
//!
//! They are stored as `seeds/<target>/seed-<name>`; `tests/props.rs`
//! checks that the files hold these scripts and that each has its outcome.

use oxmq_zmtp::SocketType;

use crate::curve::{script, FrameStep, Header, Mutation, Role, Step};

/// What a seed script must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The handshake completes; the message phase (with its final
    /// exchange) accepts and rejects these numbers of frames.
    Completes {
        /// Frames accepted.
        accepted: usize,
        /// Frames rejected.
        rejected: usize,
    },
    /// The handshake fails with an error whose text contains this.
    Fails(&'static str),
}

/// A seed script and what it must do.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The file name under `seeds/<target>/` is `seed-<name>`.
    pub name: &'static str,
    /// The script.
    pub data: Vec<u8>,
    /// Its outcome.
    pub expect: Expect,
}

fn completes(name: &'static str, data: Vec<u8>, (accepted, rejected): (usize, usize)) -> Seed {
    Seed {
        name,
        data,
        expect: Expect::Completes { accepted, rejected },
    }
}

fn fails(name: &'static str, header: Header, steps: &[Step], error: &'static str) -> Seed {
    Seed {
        name,
        data: script(header, steps, &[]),
        expect: Expect::Fails(error),
    }
}

/// A message phase that uses every frame step, both ways: 6 frames
/// accepted (4 here, 2 in the final exchange), 8 rejected.
fn traffic() -> Vec<FrameStep> {
    vec![
        FrameStep::Send {
            to_sut: true,
            flags: 0x01,
            body: b"hello".to_vec(),
        },
        FrameStep::Deliver {
            to_sut: true,
            index: 0,
        },
        // A long frame (MESSAGE over 255 octets), a command, the other way.
        FrameStep::Send {
            to_sut: false,
            flags: 0x04,
            body: vec![0xA5; 300],
        },
        FrameStep::Deliver {
            to_sut: false,
            index: 0,
        },
        // Two in flight, the second first: the first is then too old.
        FrameStep::Send {
            to_sut: true,
            flags: 0,
            body: b"one".to_vec(),
        },
        FrameStep::Send {
            to_sut: true,
            flags: 0,
            body: b"two".to_vec(),
        },
        FrameStep::Deliver {
            to_sut: true,
            index: 1,
        },
        FrameStep::Deliver {
            to_sut: true,
            index: 0,
        },
        // Tampered copies of an in-flight frame (the nonce, the tag, the
        // end), then the genuine one still passes.
        FrameStep::Send {
            to_sut: false,
            flags: 0x05,
            body: b"".to_vec(),
        },
        FrameStep::Tamper {
            to_sut: false,
            index: 0,
            mutation: Mutation::Flip { at: 15, mask: 0x01 },
        },
        FrameStep::Tamper {
            to_sut: false,
            index: 0,
            mutation: Mutation::Flip { at: 20, mask: 0x80 },
        },
        FrameStep::Tamper {
            to_sut: false,
            index: 0,
            mutation: Mutation::Truncate { to: 32 },
        },
        FrameStep::Deliver {
            to_sut: false,
            index: 0,
        },
        // Replays: an old frame, and the latest one each way.
        FrameStep::Replay {
            to_sut: true,
            index: 0,
        },
        FrameStep::Replay {
            to_sut: true,
            index: 1,
        },
        FrameStep::Replay {
            to_sut: false,
            index: 1,
        },
        FrameStep::Raw {
            to_sut: false,
            body: b"\x07MESSAGE\xff\xff\xff\xff\xff\xff\xff\xffsixteen octets.. and a body"
                .to_vec(),
        },
    ]
}

/// The peer's next command, as it is.
const G: Step = Step::Genuine;
/// The authenticator lets the client in.
const AUTH_200: Step = Step::Auth { choice: 0 };

/// The seeds of the target whose SUT is `role`.
pub fn seeds(role: Role) -> Vec<Seed> {
    match role {
        Role::Server => server_seeds(),
        Role::Client => client_seeds(),
    }
}

fn server_seeds() -> Vec<Seed> {
    let h = Header::types(SocketType::Router, SocketType::Dealer);
    let chunked = Header { chunk: 7, ..h };
    let wrong_key = Header {
        wrong_key: true,
        ..h
    };
    let incompatible = Header::types(SocketType::Pub, SocketType::Push);
    let flip = |at, mask| Step::Mutate(Mutation::Flip { at, mask });
    let auth = |choice| Step::Auth { choice };
    vec![
        completes("genuine", script(h, &[G, G, AUTH_200], &traffic()), (6, 8)),
        completes(
            "genuine-chunked",
            script(chunked, &[G, G, AUTH_200], &traffic()),
            (6, 8),
        ),
        // The script ends early: the rest runs genuinely.
        completes("genuine-implicit", script(h, &[], &[]), (2, 0)),
        fails(
            "hello-flip-box",
            h,
            &[flip(150, 0x01)],
            "HELLO box does not open",
        ),
        fails(
            "hello-flip-version",
            h,
            &[flip(6, 0x02)],
            "unknown CurveZMQ version",
        ),
        fails(
            "hello-flip-nonce",
            h,
            &[flip(119, 0x01)],
            "HELLO box does not open",
        ),
        // HELLO's padding is not authenticated, nor checked by libzmq.
        completes(
            "hello-flip-padding",
            script(h, &[flip(20, 0xFF), G, AUTH_200], &[]),
            (2, 0),
        ),
        fails(
            "hello-truncate",
            h,
            &[Step::Mutate(Mutation::Truncate { to: 199 })],
            "not 200 octets",
        ),
        fails(
            "hello-extend",
            h,
            &[Step::Mutate(Mutation::Extend { tail: vec![0] })],
            "not 200 octets",
        ),
        fails(
            "initiate-flip-cookie",
            h,
            &[G, flip(40, 0x10)],
            "cookie does not open",
        ),
        fails(
            "initiate-flip-nonce",
            h,
            &[G, flip(112, 0x01)],
            "INITIATE box does not open",
        ),
        fails(
            "initiate-flip-box",
            h,
            &[G, flip(200, 0x04)],
            "INITIATE box does not open",
        ),
        fails(
            "initiate-truncate",
            h,
            &[G, Step::Mutate(Mutation::Truncate { to: 256 })],
            "shorter than 257",
        ),
        fails(
            "initiate-extend",
            h,
            &[G, Step::Mutate(Mutation::Extend { tail: vec![0; 4] })],
            "INITIATE box does not open",
        ),
        fails(
            "hello-replayed",
            h,
            &[G, Step::Replay { index: 0 }],
            "unexpected command \"HELLO\"",
        ),
        fails(
            "initiate-replayed",
            h,
            &[G, G, Step::Replay { index: 1 }],
            "unexpected command \"INITIATE\"",
        ),
        // Lost, then found: the stream is the genuine one after all.
        completes(
            "hello-dropped-replayed",
            script(
                h,
                &[Step::Drop, Step::Replay { index: 0 }, G, AUTH_200],
                &[],
            ),
            (2, 0),
        ),
        fails("initiate-dropped", h, &[G, Step::Drop], "timed out"),
        fails(
            "raw-error",
            h,
            &[Step::RawCommand {
                body: b"\x05ERROR\x03400".to_vec(),
            }],
            "status 400",
        ),
        fails(
            "raw-wire",
            h,
            &[G, Step::RawWire { bytes: vec![0x04] }, G],
            "unexpected command",
        ),
        // An unfinished frame after INITIATE is early traffic.
        completes(
            "raw-wire-after-initiate",
            script(
                h,
                &[G, G, Step::RawWire { bytes: vec![0x00] }, AUTH_200],
                &[],
            ),
            (2, 0),
        ),
        fails("auth-300", h, &[G, G, auth(1)], "status 300"),
        fails("auth-400", h, &[G, G, auth(2)], "status 400"),
        fails("auth-500", h, &[G, G, auth(3)], "status 500"),
        fails("auth-0", h, &[G, G, auth(4)], "status 500"),
        fails(
            "spurious-auth",
            h,
            &[Step::SpuriousAuth],
            "unexpected authentication reply",
        ),
        fails("wrong-key", wrong_key, &[G], "HELLO box does not open"),
        fails("incompatible", incompatible, &[G, G], "may not connect"),
    ]
}

fn client_seeds() -> Vec<Seed> {
    let h = Header::types(SocketType::Dealer, SocketType::Router);
    let chunked = Header { chunk: 11, ..h };
    let wrong_key = Header {
        wrong_key: true,
        ..h
    };
    let incompatible = Header::types(SocketType::Push, SocketType::Pub);
    let flip = |at, mask| Step::Mutate(Mutation::Flip { at, mask });
    let auth = |choice| Step::Auth { choice };
    vec![
        completes("genuine", script(h, &[G, AUTH_200, G], &traffic()), (6, 8)),
        completes(
            "genuine-chunked",
            script(chunked, &[G, AUTH_200, G], &traffic()),
            (6, 8),
        ),
        completes("genuine-implicit", script(h, &[], &[]), (2, 0)),
        fails(
            "welcome-flip-name",
            h,
            &[flip(3, 0x20)],
            "unexpected command",
        ),
        fails(
            "welcome-flip-nonce",
            h,
            &[flip(10, 0x01)],
            "WELCOME box does not open",
        ),
        fails(
            "welcome-flip-box",
            h,
            &[flip(100, 0x40)],
            "WELCOME box does not open",
        ),
        fails(
            "welcome-truncate",
            h,
            &[Step::Mutate(Mutation::Truncate { to: 167 })],
            "not 168 octets",
        ),
        fails(
            "welcome-extend",
            h,
            &[Step::Mutate(Mutation::Extend { tail: vec![1, 2] })],
            "not 168 octets",
        ),
        fails(
            "ready-flip-nonce",
            h,
            &[G, AUTH_200, flip(13, 0x01)],
            "READY box does not open",
        ),
        fails(
            "ready-flip-box",
            h,
            &[G, AUTH_200, flip(40, 0x08)],
            "READY box does not open",
        ),
        fails(
            "ready-truncate",
            h,
            &[G, AUTH_200, Step::Mutate(Mutation::Truncate { to: 29 })],
            "shorter than 30",
        ),
        fails(
            "ready-extend",
            h,
            &[
                G,
                AUTH_200,
                Step::Mutate(Mutation::Extend { tail: vec![0; 8] }),
            ],
            "READY box does not open",
        ),
        fails(
            "welcome-replayed",
            h,
            &[G, AUTH_200, Step::Replay { index: 0 }],
            "unexpected command \"WELCOME\"",
        ),
        fails("ready-dropped", h, &[G, AUTH_200, Step::Drop], "timed out"),
        fails("auth-300", h, &[G, auth(1)], "timed out"),
        fails("auth-400", h, &[G, auth(2), G], "status 400"),
        fails("auth-500", h, &[G, auth(3), G], "status 500"),
        fails(
            "raw-error",
            h,
            &[Step::RawCommand {
                body: b"\x05ERROR\x03500".to_vec(),
            }],
            "status 500",
        ),
        fails(
            "raw-ready",
            h,
            &[
                G,
                Step::RawCommand {
                    body: b"\x05READY\x00\x00\x00\x00\x00\x00\x00\x03sixteen octets..".to_vec(),
                },
            ],
            "READY box does not open",
        ),
        fails(
            "raw-wire",
            h,
            &[Step::RawWire {
                bytes: vec![0x04, 0x07, 0x07, b'W'],
            }],
            "unexpected command",
        ),
        fails(
            "spurious-auth",
            h,
            &[Step::SpuriousAuth],
            "unexpected authentication reply",
        ),
        fails("wrong-key", wrong_key, &[G], "timed out"),
        fails("incompatible", incompatible, &[G, G], "Invalid socket type"),
    ]
}
