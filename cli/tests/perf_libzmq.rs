//! `oxmq perf` against libzmq 4.3.5 (the test-only `oxmq-interop` peer)
//! playing the other role of libzmq's own perf programs, with the same
//! socket types, sizes and counts as `perf/local_thr.cpp`,
//! `remote_thr.cpp`, `local_lat.cpp` and `remote_lat.cpp`: if libzmq's side
//! here accepts oxmq's, libzmq's binaries do too.

pub mod support;

use oxmq_interop::{Context, SocketType};
use support::{ipc, run, shape, start, LAT_LINES, THR_LINES};

const SIZE: usize = 100;
const COUNT: usize = 20_000;
const ROUNDS: usize = 2_000;
/// Safety net for a blocking libzmq receive.
const RCVTIMEO_MS: i32 = 60_000;

#[test]
fn libzmq_local_thr_accepts_oxmq_remote_thr() {
    let ctx = Context::new();
    // local_thr: a PULL that binds, then checks every message's size.
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_rcvtimeo(RCVTIMEO_MS).unwrap();
    let ep = pull.bind_tcp_ephemeral().unwrap();
    let (size, count) = (SIZE.to_string(), COUNT.to_string());
    let remote = start(&["perf", "remote-thr", &ep, &size, &count]);
    for _ in 0..COUNT {
        let frame = pull.recv_frame(0).unwrap();
        assert_eq!((frame.data.len(), frame.more), (SIZE, false));
    }
    let out = remote.finish().ok();
    assert_eq!(out.stdout, "", "remote_thr prints nothing");
}

#[test]
fn oxmq_local_thr_accepts_libzmq_remote_thr() {
    let ep = ipc("lthr");
    let (size, count) = (SIZE.to_string(), COUNT.to_string());
    let local = start(&["perf", "local-thr", &ep, &size, &count]);
    {
        // remote_thr: a PUSH that connects, sends, closes and terminates
        // (infinite linger: everything is delivered).
        let ctx = Context::new();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.set_linger(-1).unwrap();
        push.connect(&ep).unwrap();
        let body = vec![0u8; SIZE];
        for _ in 0..COUNT {
            push.send(&body, 0).unwrap();
        }
    }
    let out = local.finish().ok();
    assert_eq!(shape(&out.stdout), THR_LINES);
    assert!(out.stdout.starts_with(&format!(
        "message size: {SIZE} [B]\nmessage count: {COUNT}\n"
    )));
}

#[test]
fn libzmq_local_lat_answers_oxmq_remote_lat() {
    let ctx = Context::new();
    // local_lat: a REP that binds and echoes every message.
    let rep = ctx.socket(SocketType::Rep).unwrap();
    rep.set_rcvtimeo(RCVTIMEO_MS).unwrap();
    let ep = rep.bind_tcp_ephemeral().unwrap();
    let echo = std::thread::spawn(move || {
        for _ in 0..ROUNDS {
            let frame = rep.recv_frame(0).unwrap();
            assert_eq!(frame.data.len(), SIZE);
            rep.send(&frame.data, 0).unwrap();
        }
        rep
    });
    let (size, rounds) = (SIZE.to_string(), ROUNDS.to_string());
    let out = run(&["perf", "remote-lat", &ep, &size, &rounds], "").ok();
    assert_eq!(shape(&out.stdout), LAT_LINES);
    assert!(out.stdout.starts_with(&format!(
        "message size: {SIZE} [B]\nroundtrip count: {ROUNDS}\n"
    )));
    drop(echo.join().unwrap());
}

#[test]
fn oxmq_local_lat_answers_libzmq_remote_lat() {
    let ep = ipc("llat");
    let (size, rounds) = (SIZE.to_string(), ROUNDS.to_string());
    let local = start(&["perf", "local-lat", &ep, &size, &rounds]);
    {
        // remote_lat: a REQ that connects and makes the round trips.
        let ctx = Context::new();
        let req = ctx.socket(SocketType::Req).unwrap();
        req.set_rcvtimeo(RCVTIMEO_MS).unwrap();
        req.connect(&ep).unwrap();
        let body = vec![0u8; SIZE];
        for _ in 0..ROUNDS {
            req.send(&body, 0).unwrap();
            let frame = req.recv_frame(0).unwrap();
            assert_eq!((frame.data.len(), frame.more), (SIZE, false));
        }
    }
    let out = local.finish().ok();
    assert_eq!(out.stdout, "", "local_lat prints nothing");
}
