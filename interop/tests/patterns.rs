//! libzmq talking to itself through the wrapper: proves the peer works before
//! oxmq is ever put on the other end.

use std::time::Duration;

use oxmq_interop::{
    errno, event, flags, opt, poll, proxy_steerable, unique_inproc_endpoint, unique_ipc_endpoint,
    Context, PollItem, SocketType,
};

/// Upper bound for anything that should happen "at once".
const WAIT: Duration = Duration::from_secs(10);
const WAIT_MS: i32 = 10_000;

type TestResult = Result<(), oxmq_interop::Error>;

#[test]
fn version_and_capabilities() {
    assert_eq!(oxmq_interop::version(), (4, 3, 5));
    assert!(
        oxmq_interop::has("curve"),
        "libzmq must be built with libsodium"
    );
    assert!(
        oxmq_interop::has("draft"),
        "libzmq must be built with the DRAFT API"
    );
    assert!(oxmq_interop::has("ipc"));
    assert!(!oxmq_interop::has("gssapi"));
}

#[test]
fn thread_safety_markers_and_abi() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<oxmq_interop::Socket>();
    assert_send::<oxmq_interop::Monitor>();
    assert_send::<oxmq_interop::ZapHandler>();
    assert_send_sync::<Context>();
    assert_send_sync::<oxmq_interop::Error>();

    // The wrapper's `zmq_msg_t` stand-in must match libzmq's size.
    let ctx = Context::new();
    assert_eq!(ctx.get(oxmq_interop::ctx_opt::MSG_T_SIZE), Ok(64));
}

#[test]
fn req_rep_over_tcp_ephemeral_port() -> TestResult {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep)?;
    rep.set_rcvtimeo(WAIT_MS)?;
    rep.bind("tcp://127.0.0.1:0")?;
    let endpoint = rep.last_endpoint()?;
    let port: u16 = endpoint
        .strip_prefix("tcp://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected endpoint {endpoint:?}"));
    assert_ne!(port, 0);

    let req = ctx.socket(SocketType::Req)?;
    req.set_rcvtimeo(WAIT_MS)?;
    req.connect(&endpoint)?;
    assert_eq!(req.last_endpoint()?, endpoint);

    for i in 0..3u8 {
        req.send_multipart([&b"ping"[..], &[i][..]])?;
        assert_eq!(rep.recv_multipart()?, vec![b"ping".to_vec(), vec![i]]);
        rep.send_multipart(["pong"])?;
        assert_eq!(req.recv_multipart()?, vec![b"pong".to_vec()]);
    }

    // REQ enforces strict alternation: a second recv without send is EFSM.
    let err = req.recv_multipart().unwrap_err();
    assert_eq!(err.errno, errno::EFSM, "{err}");
    Ok(())
}

#[test]
fn req_rep_over_ipc_with_peer_on_a_thread() -> TestResult {
    let ctx = Context::new();
    let endpoint = unique_ipc_endpoint();
    let rep = ctx.socket(SocketType::Rep)?;
    rep.set_rcvtimeo(WAIT_MS)?;
    rep.bind(&endpoint)?;

    // `Socket: Send`: the REP side runs on its own thread.
    let server = std::thread::spawn(move || -> TestResult {
        let request = rep.recv_multipart()?;
        let mut reply = request.clone();
        reply.reverse();
        rep.send_multipart(&reply)
    });

    let req = ctx.socket(SocketType::Req)?;
    req.set_rcvtimeo(WAIT_MS)?;
    req.connect(&endpoint)?;
    req.send_multipart(["a", "b", "c"])?;
    assert_eq!(
        req.recv_multipart()?,
        vec![b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]
    );
    server.join().expect("server thread panicked")
}

#[test]
fn pub_sub_with_subscription_filter() -> TestResult {
    let ctx = Context::new();
    let publisher = ctx.socket(SocketType::Pub)?;
    let endpoint = publisher.bind_tcp_ephemeral()?;
    let subscriber = ctx.socket(SocketType::Sub)?;
    subscriber.subscribe(b"weather.")?;
    subscriber.connect(&endpoint)?;

    // Slow joiner: the subscription reaches the publisher asynchronously, so
    // publish until the first matching message arrives (bounded).
    let mut joined = false;
    for n in 0..200u32 {
        publisher.send_multipart([format!("weather.{n}")])?;
        if subscriber
            .recv_multipart_timeout(Duration::from_millis(50))
            .is_ok()
        {
            joined = true;
            break;
        }
    }
    assert!(joined, "subscriber never received anything");

    // Now the filter is in place: the non-matching message must be dropped
    // and the final matching one delivered after any stragglers.
    publisher.send_multipart(["sports.football", "0-0"])?;
    publisher.send_multipart(["weather.final", "sunny"])?;
    loop {
        let msg = subscriber.recv_multipart_timeout(WAIT)?;
        assert!(msg[0].starts_with(b"weather."), "unexpected {msg:?}");
        if msg[0] == b"weather.final" {
            assert_eq!(msg, vec![b"weather.final".to_vec(), b"sunny".to_vec()]);
            break;
        }
    }

    subscriber.unsubscribe(b"weather.")?;
    Ok(())
}

#[test]
fn dealer_router_multipart_with_routing_id_and_properties() -> TestResult {
    let ctx = Context::new();
    let router = ctx.socket(SocketType::Router)?;
    router.set_rcvtimeo(WAIT_MS)?;
    router.set_router_mandatory(true)?;
    let endpoint = unique_ipc_endpoint();
    router.bind(&endpoint)?;

    let dealer = ctx.socket(SocketType::Dealer)?;
    dealer.set_rcvtimeo(WAIT_MS)?;
    dealer.set_routing_id(b"dealer-1")?;
    assert_eq!(dealer.routing_id()?, b"dealer-1");
    dealer.set_metadata("X-Test", "hello")?;
    dealer.connect(&endpoint)?;

    dealer.send_multipart(["", "part 1", "part 2"])?;
    let received = router.recv_multipart_with_props(&[
        "Socket-Type",
        "Identity",
        "X-Test",
        "Peer-Address",
        "User-Id",
        "No-Such-Property",
    ])?;
    assert_eq!(
        received.frames,
        vec![
            b"dealer-1".to_vec(),
            Vec::new(),
            b"part 1".to_vec(),
            b"part 2".to_vec()
        ]
    );
    assert_eq!(received.property("Socket-Type"), Some("DEALER"));
    assert_eq!(received.property("Identity"), Some("dealer-1"));
    assert_eq!(received.property("X-Test"), Some("hello"));
    assert!(received.properties.contains_key("Peer-Address"));
    assert_eq!(received.property("No-Such-Property"), None);

    router.send_multipart(["dealer-1", "", "reply"])?;
    assert_eq!(
        dealer.recv_multipart()?,
        vec![Vec::new(), b"reply".to_vec()]
    );

    // ROUTER_MANDATORY turns an unknown routing id into EHOSTUNREACH.
    let err = router.send_multipart(["nobody", "x"]).unwrap_err();
    assert_eq!(err.errno, errno::EHOSTUNREACH, "{err}");
    Ok(())
}

#[test]
fn frames_and_flags() -> TestResult {
    let ctx = Context::new();
    let endpoint = unique_inproc_endpoint("frames");
    let pull = ctx.socket(SocketType::Pull)?;
    pull.bind(&endpoint)?;
    let push = ctx.socket(SocketType::Push)?;
    push.connect(&endpoint)?;

    push.send(b"first", flags::SNDMORE)?;
    push.send_msg(b"", flags::SNDMORE)?;
    push.send_msg(&[0u8; 300], 0)?;

    let mut items = [PollItem::new(&pull, poll::POLLIN)];
    assert_eq!(oxmq_interop::poll(&mut items, WAIT)?, 1);
    assert!(items[0].is_readable());

    let f1 = pull.recv_frame(0)?;
    assert_eq!((f1.data.as_slice(), f1.more), (&b"first"[..], true));
    assert!(pull.rcvmore()?);
    let f2 = pull.recv_frame(0)?;
    assert_eq!((f2.data.len(), f2.more), (0, true));
    let f3 = pull.recv_frame(0)?;
    assert_eq!((f3.data, f3.more), (vec![0u8; 300], false));

    // Nothing left: DONTWAIT gives EAGAIN at once.
    let err = pull.recv_frame(flags::DONTWAIT).unwrap_err();
    assert!(err.is_again(), "{err}");
    assert!(push.send_multipart(Vec::<Vec<u8>>::new()).is_err());
    Ok(())
}

#[test]
fn receive_timeout_is_eagain() -> TestResult {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull)?;
    pull.bind_tcp_ephemeral()?;
    pull.set_rcvtimeo(50)?;
    let err = pull.recv_multipart().unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.errno, errno::EAGAIN);
    let err = pull
        .recv_multipart_timeout(Duration::from_millis(20))
        .unwrap_err();
    assert!(err.is_again(), "{err}");
    Ok(())
}

#[test]
fn errors_carry_errno_and_message() -> TestResult {
    let ctx = Context::new();
    let sock = ctx.socket(SocketType::Dealer)?;
    let err = sock.connect("bogus://nowhere").unwrap_err();
    assert_eq!(err.errno, errno::EPROTONOSUPPORT);
    assert!(!err.message.is_empty());
    assert!(err.to_string().contains(&err.message));

    let err = sock.bind("tcp://127.0.0.1:0\0").unwrap_err();
    assert_eq!(err.errno, errno::EINVAL);

    let bound = ctx.socket(SocketType::Router)?;
    let endpoint = bound.bind_tcp_ephemeral()?;
    let err = sock.bind(&endpoint).unwrap_err();
    assert_eq!(err.errno, errno::EADDRINUSE, "{err}");
    // (The port is released asynchronously after `unbind`, so re-binding it
    // at once would race; only the bookkeeping is checked here.)
    bound.unbind(&endpoint)?;
    let err = bound.unbind(&endpoint).unwrap_err();
    assert_eq!(err.errno, errno::ENOENT, "{err}");
    let err = sock.disconnect("tcp://127.0.0.1:1").unwrap_err();
    assert_eq!(err.errno, errno::ENOENT, "{err}");
    Ok(())
}

#[test]
fn socket_options_round_trip() -> TestResult {
    let ctx = Context::new();
    let sock = ctx.socket(SocketType::Dealer)?;
    assert_eq!(sock.get_sockopt_int(opt::TYPE)?, SocketType::Dealer.raw());
    assert_eq!(
        sock.get_sockopt_int(opt::LINGER)?,
        oxmq_interop::DEFAULT_LINGER_MS
    );
    sock.set_heartbeat_ivl(100)?;
    sock.set_heartbeat_ttl(500)?;
    sock.set_heartbeat_timeout(300)?;
    assert_eq!(sock.get_sockopt_int(opt::HEARTBEAT_IVL)?, 100);
    assert_eq!(sock.get_sockopt_int(opt::HEARTBEAT_TTL)?, 500);
    assert_eq!(sock.get_sockopt_int(opt::HEARTBEAT_TIMEOUT)?, 300);
    sock.set_maxmsgsize(1024)?;
    assert_eq!(sock.get_sockopt_i64(opt::MAXMSGSIZE)?, 1024);
    sock.set_sndhwm(7)?;
    assert_eq!(sock.get_sockopt_int(opt::SNDHWM)?, 7);
    assert_eq!(sock.mechanism()?, oxmq_interop::mechanism::NULL);
    sock.set_plain_username("u")?;
    assert_eq!(sock.mechanism()?, oxmq_interop::mechanism::PLAIN);
    assert_eq!(sock.get_sockopt_string(opt::PLAIN_USERNAME)?, "u");

    let (public, secret) = oxmq_interop::curve_keypair();
    sock.set_curve_serverkey(&public)?;
    sock.set_curve_publickey(&public)?;
    sock.set_curve_secretkey(&secret)?;
    assert_eq!(sock.mechanism()?, oxmq_interop::mechanism::CURVE);
    assert_eq!(sock.curve_serverkey()?, public);
    assert_eq!(sock.curve_publickey()?, public);

    // An invalid value is refused with EINVAL.
    let err = sock.set_curve_publickey("too short").unwrap_err();
    assert_eq!(err.errno, errno::EINVAL);

    // Context options.
    assert_eq!(ctx.get(oxmq_interop::ctx_opt::IO_THREADS)?, 1);
    Ok(())
}

#[test]
fn z85_and_curve_helpers() -> TestResult {
    // Test vector from ZeroMQ RFC 32.
    let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
    assert_eq!(oxmq_interop::z85_encode(&bytes)?, "HelloWorld");
    assert_eq!(oxmq_interop::z85_decode("HelloWorld")?, bytes);
    assert!(oxmq_interop::z85_encode(&[1, 2, 3]).is_err());
    assert!(oxmq_interop::z85_decode("abcd").is_err());

    let (public, secret) = oxmq_interop::curve_keypair();
    assert_eq!(public.len(), 40);
    assert_eq!(secret.len(), 40);
    assert_ne!(public, secret);
    assert_eq!(oxmq_interop::curve_public(&secret)?, public);
    assert_eq!(oxmq_interop::z85_decode(&public)?.len(), 32);
    Ok(())
}

#[test]
fn monitor_reports_connection_lifecycle() -> TestResult {
    let ctx = Context::new();
    let server = ctx.socket(SocketType::Rep)?;
    let server_events = server.monitor(event::ALL)?;
    let endpoint = server.bind_tcp_ephemeral()?;
    let listening = server_events.wait_for(event::LISTENING, WAIT)?;
    assert_eq!(listening.endpoint, endpoint);
    assert_eq!(listening.name(), "LISTENING");

    let client = ctx.socket(SocketType::Req)?;
    let client_events = client.monitor(event::ALL)?;
    client.connect(&endpoint)?;

    let ev = client_events.wait_for(event::CONNECTED, WAIT)?;
    assert_eq!(ev.endpoint, endpoint);
    let ev = client_events.wait_for(event::HANDSHAKE_SUCCEEDED, WAIT)?;
    assert_eq!(ev.value, 0);
    server_events.wait_for(event::ACCEPTED, WAIT)?;
    server_events.wait_for(event::HANDSHAKE_SUCCEEDED, WAIT)?;

    drop(server);
    client_events.wait_for(event::DISCONNECTED, WAIT)?;
    Ok(())
}

#[test]
fn steerable_proxy_forwards_and_terminates() -> TestResult {
    let ctx = Context::new();
    let frontend = ctx.socket(SocketType::Router)?;
    let front_endpoint = frontend.bind_tcp_ephemeral()?;
    let backend = ctx.socket(SocketType::Dealer)?;
    let back_endpoint = unique_ipc_endpoint();
    backend.bind(&back_endpoint)?;
    let control_endpoint = unique_inproc_endpoint("proxy-control");
    let control = ctx.socket(SocketType::Pair)?;
    control.bind(&control_endpoint)?;
    let commander = ctx.socket(SocketType::Pair)?;
    commander.connect(&control_endpoint)?;

    let proxy =
        std::thread::spawn(move || proxy_steerable(&frontend, &backend, None, Some(&control)));

    let worker = ctx.socket(SocketType::Rep)?;
    worker.set_rcvtimeo(WAIT_MS)?;
    worker.connect(&back_endpoint)?;
    let client = ctx.socket(SocketType::Req)?;
    client.set_rcvtimeo(WAIT_MS)?;
    client.connect(&front_endpoint)?;

    client.send_multipart(["job"])?;
    assert_eq!(worker.recv_multipart()?, vec![b"job".to_vec()]);
    worker.send_multipart(["done"])?;
    assert_eq!(client.recv_multipart()?, vec![b"done".to_vec()]);

    commander.send_multipart(["TERMINATE"])?;
    proxy.join().expect("proxy thread panicked")
}

#[test]
fn context_shutdown_unblocks_receivers() -> TestResult {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull)?;
    pull.bind_tcp_ephemeral()?;
    let waiter = std::thread::spawn(move || pull.recv_multipart());
    // No sleep needed: whether the receiver is already blocked or not, a
    // shut-down context makes its blocking call fail with ETERM.
    ctx.shutdown()?;
    let err = waiter.join().expect("receiver panicked").unwrap_err();
    assert!(err.is_term(), "{err}");
    assert!(ctx.socket(SocketType::Pull).is_err());
    Ok(())
}
