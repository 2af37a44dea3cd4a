//! The `oxmq` binary against itself: every socket type pairing, the
//! formats, the options, the exit statuses and error lines, the proxy, the
//! perf tools and the bench. Endpoints are `ipc://` paths unique to the test
//! (no port races); processes are waited for on their own exit.

pub mod support;

use std::time::Duration;

use support::{ipc, run, shape, start, LAT_LINES, THR_LINES};

const EVERY: Duration = Duration::from_millis(50);

#[test]
fn push_to_pull() {
    let ep = ipc("pushpull");
    let pull = start(&["pull", "--bind", &ep, "--recv", "-n", "3"]);
    run(&["push", "--connect", &ep, "--send"], "a\nb b\nc\n").ok();
    let out = pull.finish().ok();
    assert_eq!(out.lines(), ["a", "b b", "c"]);
}

#[test]
fn pull_connects_to_a_binding_push() {
    let ep = ipc("pushbind");
    let pull = start(&["pull", "--connect", &ep, "-n", "2"]);
    run(&["push", "--bind", &ep], "one\ntwo\n").ok();
    assert_eq!(pull.finish().ok().lines(), ["one", "two"]);
}

#[test]
fn socket_types_ignore_case() {
    let ep = ipc("case");
    let pull = start(&["PULL", "--bind", &ep, "-n", "1"]);
    run(&["Push", "--connect", &ep], "hi\n").ok();
    assert_eq!(pull.finish().ok().lines(), ["hi"]);
}

#[test]
fn req_to_echoing_rep() {
    let ep = ipc("reqrep");
    let rep = start(&["rep", "--bind", &ep, "--echo", "-n", "2"]);
    let req = run(&["req", "--connect", &ep, "--send"], "hello\nworld\n").ok();
    assert_eq!(req.lines(), ["hello", "world"]);
    rep.finish().ok();
}

#[test]
fn rep_answers_with_stdin_lines() {
    let ep = ipc("repsend");
    let mut rep = start(&["rep", "--bind", &ep, "--send"]);
    rep.write("pong 1\npong 2\n");
    rep.close();
    let req = run(&["req", "--connect", &ep, "--send"], "ping 1\nping 2\n").ok();
    assert_eq!(req.lines(), ["pong 1", "pong 2"]);
    // rep printed both requests; it stops at the end of its input.
    assert_eq!(rep.finish().ok().lines(), ["ping 1", "ping 2"]);
}

#[test]
fn dealer_to_echoing_router() {
    let ep = ipc("dealerrouter");
    let router = start(&["router", "--bind", &ep, "--recv", "--echo", "-n", "2"]);
    let dealer = run(
        &[
            "dealer",
            "--identity",
            "alice",
            "--connect",
            &ep,
            "--send",
            "--recv",
            "--delimiter",
            "|",
            "-n",
            "2",
        ],
        "x|y\nz\n",
    )
    .ok();
    assert_eq!(dealer.lines(), ["x|y", "z"]);
    // The router shows the envelope (the dealer's routing id) it echoed.
    assert_eq!(router.finish().ok().lines(), ["alice x y", "alice z"]);
}

#[test]
fn router_ids_without_identity_are_hex() {
    let ep = ipc("routerid");
    let router = start(&["router", "--bind", &ep, "--recv", "-n", "1"]);
    let mut dealer = start(&["dealer", "--connect", &ep, "--send"]);
    dealer.write("hi\n");
    let out = router.finish().ok();
    dealer.kill();
    let line = out.lines()[0].to_string();
    // libzmq-style generated id: a zero octet and four more, shown as hex.
    let (id, body) = line.split_once(' ').unwrap();
    assert!(id.starts_with("0x00") && id.len() == 12, "{line}");
    assert_eq!(body, "hi");
}

#[test]
fn pair_to_echoing_pair() {
    let ep = ipc("pair");
    let echo = start(&["pair", "--bind", &ep, "--echo", "-n", "2"]);
    let out = run(
        &["pair", "--connect", &ep, "--send", "--recv", "-n", "2"],
        "ping\npong\n",
    )
    .ok();
    assert_eq!(out.lines(), ["ping", "pong"]);
    echo.finish().ok();
}

#[test]
fn pub_to_filtering_sub() {
    let ep = ipc("pubsub");
    let mut sub = start(&["sub", "--bind", &ep, "--subscribe", "weather", "-n", "2"]);
    let mut publisher = start(&["pub", "--connect", &ep]);
    publisher.feed_until_exit(&mut sub, "news flash\nweather sunny\n", EVERY);
    let out = sub.finish().ok();
    assert_eq!(out.lines(), ["weather sunny", "weather sunny"]);
    publisher.close();
    publisher.finish().ok();
}

#[test]
fn sub_without_subscribe_takes_everything() {
    let ep = ipc("suball");
    let mut sub = start(&["sub", "--connect", &ep, "-n", "1"]);
    let mut publisher = start(&["pub", "--bind", &ep, "--send"]);
    publisher.feed_until_exit(&mut sub, "anything\n", EVERY);
    assert_eq!(sub.finish().ok().lines(), ["anything"]);
    publisher.close();
    publisher.finish().ok();
}

#[test]
fn xpub_to_xsub() {
    let ep = ipc("xpubxsub");
    let mut xsub = start(&["xsub", "--connect", &ep, "--subscribe", "t", "-n", "1"]);
    let mut xpub = start(&["xpub", "--bind", &ep, "--send"]);
    xpub.feed_until_exit(&mut xsub, "other\nt1\n", EVERY);
    assert_eq!(xsub.finish().ok().lines(), ["t1"]);
    xpub.close();
    xpub.finish().ok();
}

#[test]
fn xpub_prints_subscriptions() {
    let ep = ipc("xpubrecv");
    let xpub = start(&["xpub", "--bind", &ep, "--recv", "-n", "1"]);
    let sub = start(&["sub", "--connect", &ep, "--subscribe", "t"]);
    // "\x01t": a control octet, so shown in hex.
    assert_eq!(xpub.finish().ok().lines(), ["0x0174"]);
    sub.kill();
}

#[test]
fn hex_output() {
    let ep = ipc("hex");
    let pull = start(&["pull", "--bind", &ep, "--hex", "-n", "1"]);
    run(&["push", "--connect", &ep], "hello\n").ok();
    assert_eq!(pull.finish().ok().lines(), ["68656c6c6f"]);
}

#[test]
fn binary_frames_print_as_0x_hex() {
    let ep = ipc("binary");
    let pull = start(&["pull", "--bind", &ep, "-n", "1"]);
    run(
        &["push", "--connect", &ep, "--hex", "--delimiter", ","],
        "ff00,41\n",
    )
    .ok();
    assert_eq!(pull.finish().ok().lines(), ["0xff00 A"]);
}

#[test]
fn delimiter_splits_and_joins_frames() {
    let ep = ipc("delim");
    let pull = start(&["pull", "--bind", &ep, "--delimiter", ",", "-n", "2"]);
    run(
        &["push", "--connect", &ep, "--delimiter", "|"],
        "a|b|c\nno delimiter here\n",
    )
    .ok();
    assert_eq!(pull.finish().ok().lines(), ["a,b,c", "no delimiter here"]);
}

#[test]
fn count_limits_what_is_sent() {
    let ep = ipc("count");
    let pull = start(&["pull", "--bind", &ep, "-n", "2"]);
    let mut push = start(&["push", "--connect", &ep, "-n", "2"]);
    // Stdin stays open: the push stops after two messages on its own.
    push.write("1\n2\n3\n");
    let push = push.finish();
    assert!(push.status.success(), "{push:?}");
    assert_eq!(pull.finish().ok().lines(), ["1", "2"]);
}

#[test]
fn options_are_accepted_end_to_end() {
    let ep = ipc("options");
    let pull = start(&[
        "pull",
        "--bind",
        &ep,
        "--rcvhwm",
        "10",
        "--heartbeat-ivl",
        "100",
        "-n",
        "3",
    ]);
    run(
        &[
            "push",
            "--connect",
            &ep,
            "--sndhwm",
            "10",
            "--linger",
            "-1",
            "--heartbeat-ivl",
            "100",
            "--timeout",
            "60000",
        ],
        "1\n2\n3\n",
    )
    .ok();
    assert_eq!(pull.finish().ok().lines(), ["1", "2", "3"]);
}

#[test]
fn timeout_without_messages_fails() {
    let ep = ipc("timeout");
    run(&["pull", "--bind", &ep, "--timeout", "200"], "").fails_with("timeout");
}

#[test]
fn timeout_waiting_for_a_reply_fails() {
    let ep = ipc("noreply");
    // Nobody binds: the request can be queued but no reply comes.
    run(
        &["req", "--connect", &ep, "--send", "--timeout", "200"],
        "x\n",
    )
    .fails_with("no reply arrived within 200 ms");
}

#[test]
fn bad_endpoint_fails_with_one_line() {
    run(&["push", "--connect", "localhost:5555"], "").fails_with("endpoint");
    run(&["pull", "--bind", "udp://127.0.0.1:1"], "").fails_with("not supported");
}

#[test]
fn bind_in_use_fails_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", taken.local_addr().unwrap());
    run(&["pull", "--bind", &ep], "").fails_with("cannot bind");
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for args in [
        &["push"][..],
        &["frobnicate", "--bind", "tcp://*:1"],
        &["req", "--connect", "tcp://127.0.0.1:1", "--recv"],
        &["sub", "--connect", "tcp://127.0.0.1:1", "--send"],
        &["push", "--connect", "tcp://127.0.0.1:1", "--no-such-flag"],
        &[],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {out:?}");
    }
}

#[test]
fn plain_authentication() {
    let ep = ipc("plain");
    let pull = start(&[
        "pull",
        "--bind",
        &ep,
        "--plain-server",
        "admin:secret",
        "-n",
        "1",
    ]);
    run(
        &[
            "push",
            "--connect",
            &ep,
            "--plain-user",
            "admin",
            "--plain-password",
            "wrong",
        ],
        "refused\n",
    )
    .fails_with("authentication refused");
    run(
        &[
            "push",
            "--connect",
            &ep,
            "--plain-user",
            "admin",
            "--plain-password",
            "secret",
        ],
        "welcome\n",
    )
    .ok();
    assert_eq!(pull.finish().ok().lines(), ["welcome"]);
}

#[test]
fn mechanism_mismatch_fails() {
    let ep = ipc("mismatch");
    let pull = start(&["pull", "--bind", &ep]);
    run(
        &[
            "push",
            "--connect",
            &ep,
            "--plain-user",
            "a",
            "--plain-password",
            "b",
        ],
        "x\n",
    )
    .fails_with("mechanism");
    pull.kill();
}

#[test]
fn wrong_socket_type_fails() {
    let ep = ipc("types");
    let push = start(&["push", "--bind", &ep]);
    run(&["push", "--connect", &ep], "x\n").fails_with("PUSH");
    push.kill();
}

/// `oxmq keygen` → (public, secret), checking the output's shape.
fn keygen() -> (String, String) {
    let out = run(&["keygen"], "").ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let public = lines[0].strip_prefix("public: ").expect("public line");
    let secret = lines[1].strip_prefix("secret: ").expect("secret line");
    assert_eq!((public.len(), secret.len()), (40, 40), "{lines:?}");
    assert_ne!(public, secret);
    (public.to_string(), secret.to_string())
}

#[test]
fn curve_keys_may_start_with_a_hyphen() {
    // '-' is a Z85 digit: forty of them are a valid key, taken as the
    // option's value rather than as an unknown option.
    let key = "-".repeat(40);
    run(
        &[
            "push",
            "--connect",
            "tcp://127.0.0.1:1",
            "--curve-server-public",
            &key,
        ],
        "",
    )
    .ok();
}

#[test]
fn keygen_makes_fresh_z85_pairs() {
    let (p1, s1) = keygen();
    let (p2, s2) = keygen();
    assert_ne!(p1, p2);
    assert_ne!(s1, s2);
}

#[test]
fn curve_with_an_allow_list() {
    let ep = ipc("curve");
    let (server_public, server_secret) = keygen();
    let (client_public, client_secret) = keygen();
    let pull = start(&[
        "pull",
        "--bind",
        &ep,
        "--curve-server-secret",
        &server_secret,
        "--curve-allow",
        &client_public,
        "-n",
        "1",
    ]);
    // A client with a key of its own that is not on the list: refused.
    run(
        &[
            "push",
            "--connect",
            &ep,
            "--curve-server-public",
            &server_public,
        ],
        "refused\n",
    )
    .fails_with("authentication refused");
    // The listed client (its public key checked against its secret).
    run(
        &[
            "push",
            "--connect",
            &ep,
            "--curve-server-public",
            &server_public,
            "--curve-secret",
            &client_secret,
            "--curve-public",
            &client_public,
        ],
        "welcome\n",
    )
    .ok();
    assert_eq!(pull.finish().ok().lines(), ["welcome"]);
}

#[test]
fn curve_without_an_allow_list_lets_in_any_client_knowing_the_server_key() {
    let ep = ipc("curveany");
    let (server_public, server_secret) = keygen();
    let rep = start(&[
        "rep",
        "--bind",
        &ep,
        "--echo",
        "-n",
        "1",
        "--curve-server-secret",
        &server_secret,
    ]);
    let out = run(
        &[
            "req",
            "--connect",
            &ep,
            "--send",
            "--curve-server-public",
            &server_public,
        ],
        "secret handshake\n",
    )
    .ok();
    assert_eq!(out.lines(), ["secret handshake"]);
    rep.finish().ok();
}

#[test]
fn curve_options_are_checked() {
    let (public, secret) = keygen();
    let (other_public, _) = keygen();
    let connect = ["push", "--connect", "tcp://127.0.0.1:1"];
    let with = |extra: &[&str]| -> Vec<String> {
        connect.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let args = with(&["--curve-server-public", "not z85!"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, "").fails_with("--curve-server-public: not a Z85 key");
    let args = with(&["--curve-server-public", "HelloWorld"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, "").fails_with("40 Z85 characters");
    let args = with(&[
        "--curve-server-public",
        &public,
        "--curve-secret",
        &secret,
        "--curve-public",
        &other_public,
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, "").fails_with("is not the public key of --curve-secret");
    let args = with(&["--curve-secret", &secret]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, "").fails_with("--curve-server-public");
}

#[test]
fn help_documents_the_interface() {
    let help = run(&["--help"], "").ok().stdout;
    for word in [
        "pair",
        "pub",
        "sub",
        "xpub",
        "xsub",
        "req",
        "rep",
        "dealer",
        "router",
        "push",
        "pull",
        "--bind",
        "--connect",
        "--send",
        "--recv",
        "--echo",
        "--count",
        "--delimiter",
        "--hex",
        "--subscribe",
        "--identity",
        "--sndhwm",
        "--rcvhwm",
        "--linger",
        "--timeout",
        "--heartbeat-ivl",
        "--plain-user",
        "--plain-password",
        "--plain-server",
        "proxy",
        "perf",
        "bench",
    ] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
    let perf = run(&["perf", "--help"], "").ok().stdout;
    for word in [
        "local-thr",
        "remote-thr",
        "local-lat",
        "remote-lat",
        "inproc-thr",
        "inproc-lat",
    ] {
        assert!(perf.contains(word), "perf --help does not mention {word}");
    }
}

#[test]
fn proxy_router_dealer() {
    let (front, back) = (ipc("front"), ipc("back"));
    let proxy = start(&["proxy", "router", &front, "DEALER", &back]);
    let rep = start(&["rep", "--connect", &back, "--echo", "-n", "2"]);
    let req = run(&["req", "--connect", &front, "--send"], "via\nproxy\n").ok();
    assert_eq!(req.lines(), ["via", "proxy"]);
    rep.finish().ok();
    proxy.kill();
}

#[test]
fn proxy_connecting_sides() {
    let (front, back) = (ipc("pfront"), ipc("pback"));
    let pull = start(&["pull", "--bind", &back, "-n", "1"]);
    let mut push = start(&["push", "--bind", &front]);
    let proxy = start(&[
        "proxy",
        "pull",
        &front,
        "push",
        &back,
        "--frontend-connect",
        "--backend-connect",
    ]);
    push.write("through\n");
    assert_eq!(pull.finish().ok().lines(), ["through"]);
    push.kill();
    proxy.kill();
}

#[test]
fn proxy_rejects_one_way_pairs() {
    run(&["proxy", "push", "tcp://*:1", "pub", "tcp://*:2"], "").fails_with("nothing can flow");
}

#[test]
fn perf_throughput_between_two_processes() {
    let ep = ipc("thr");
    let local = start(&["perf", "local-thr", &ep, "100", "5000"]);
    run(&["perf", "remote-thr", &ep, "100", "5000"], "").ok();
    let out = local.finish().ok();
    assert_eq!(shape(&out.stdout), THR_LINES);
    assert!(out
        .stdout
        .starts_with("message size: 100 [B]\nmessage count: 5000\n"));
}

#[test]
fn perf_latency_between_two_processes() {
    let ep = ipc("lat");
    let local = start(&["perf", "local-lat", &ep, "64", "500"]);
    let out = run(&["perf", "remote-lat", &ep, "64", "500"], "").ok();
    assert_eq!(shape(&out.stdout), LAT_LINES);
    assert!(out
        .stdout
        .starts_with("message size: 64 [B]\nroundtrip count: 500\n"));
    local.finish().ok();
}

#[test]
fn perf_local_thr_rejects_wrong_sizes() {
    let ep = ipc("thrsize");
    let local = start(&["perf", "local-thr", &ep, "100", "10"]);
    let remote = start(&["perf", "remote-thr", &ep, "99", "10"]);
    local
        .finish()
        .fails_with("message of incorrect size received");
    // Its receiver is gone: what it still has queued may never leave.
    remote.kill();
}

#[test]
fn perf_inproc() {
    let thr = run(&["perf", "inproc-thr", "100", "20000"], "").ok();
    assert_eq!(shape(&thr.stdout), THR_LINES);
    let lat = run(&["perf", "inproc-lat", "10", "2000"], "").ok();
    assert_eq!(shape(&lat.stdout), LAT_LINES);
}

#[test]
fn bench_prints_a_row_per_pattern_and_transport() {
    let out = run(&["bench", "--count", "2000"], "").ok();
    let rows: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| [" inproc ", " ipc ", " tcp "].iter().any(|t| l.contains(t)))
        .collect();
    assert_eq!(rows.len(), 12, "{}", out.stdout);
    for pattern in ["PUSH/PULL", "REQ/REP", "PUB/SUB", "DEALER/ROUTER"] {
        assert_eq!(rows.iter().filter(|r| r.starts_with(pattern)).count(), 3);
    }
    // Progress goes to stderr, the table to stdout.
    assert!(out.stderr.contains("[12/12]"), "{}", out.stderr);
}

#[test]
fn bench_transport_filter_on_two_threads() {
    let out = run(
        &[
            "bench",
            "--count",
            "500",
            "--transport",
            "tcp",
            "--threads",
            "2",
        ],
        "",
    )
    .ok();
    assert_eq!(
        out.lines().iter().filter(|l| l.contains(" tcp ")).count(),
        4
    );
}
