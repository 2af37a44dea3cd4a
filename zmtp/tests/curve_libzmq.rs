//! CURVE against real libzmq 4.3.5 (the test-only `oxmq-interop` crate):
//! oxmq's sans-IO `Handshake` and `ZmtpCodec` driven over a plain blocking
//! TCP stream, with a libzmq socket at the other end. Both roles, messages
//! and commands both ways, ZAP verdicts both ways, wrong keys; and oxmq's
//! keys and Z85 against libzmq's `zmq_curve_public` and `zmq_z85_*`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use oxmq_interop as zmq;
use oxmq_zmtp::command::Command;
use oxmq_zmtp::{
    AuthFailure, AuthReply, AuthRequest, CurveKeyPair, CurvePublicKey, Error, Handshake,
    HandshakeConfig, HandshakeEvent, Inbound, MechanismConfig, MechanismName, Message, Metadata,
    PeerInfo, SocketType, ZmtpCodec,
};
use tokio_util::codec::Decoder;

/// Safety net for every wait; the tests wait on events, not on time.
const PATIENCE: Duration = Duration::from_secs(20);

/// One oxmq end of a TCP connection.
struct Conn {
    stream: TcpStream,
    inbuf: BytesMut,
    codec: ZmtpCodec,
}

impl Conn {
    /// Reads what is available into the buffer; `false` when the peer closed.
    fn fill(&mut self) -> bool {
        let mut buf = [0u8; 64 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.inbuf.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => true,
            Err(e) => panic!("read: {e}"),
        }
    }

    fn recv(&mut self) -> Inbound {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(item) = self.codec.decode(&mut self.inbuf).unwrap() {
                return item;
            }
            assert!(Instant::now() < deadline, "nothing received");
            assert!(self.fill(), "peer closed");
        }
    }

    fn send(&mut self, msg: &Message) {
        let mut out = BytesMut::new();
        self.codec.encode_message(msg, &mut out).unwrap();
        self.stream.write_all(&out).unwrap();
    }

    fn send_command(&mut self, cmd: &Command) {
        let mut out = BytesMut::new();
        self.codec.encode_command(cmd, &mut out).unwrap();
        self.stream.write_all(&out).unwrap();
    }
}

/// Runs the handshake over `stream`, answering authentication with `auth`.
fn handshake(
    stream: TcpStream,
    config: &MechanismConfig,
    ty: SocketType,
    routing_id: Option<&'static [u8]>,
    metadata: &Metadata,
    mut auth: impl FnMut(&AuthRequest) -> AuthReply,
) -> Result<(Conn, PeerInfo), Error> {
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mech = config.build(ty, routing_id.map(Bytes::from_static), metadata);
    let mut hs = Handshake::new(&HandshakeConfig::default(), mech, Instant::now());
    let mut conn = Conn {
        stream,
        inbuf: BytesMut::new(),
        codec: ZmtpCodec::new(),
    };
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "handshake does not finish");
        loop {
            let mut out = BytesMut::new();
            if hs.poll_transmit(&mut out) {
                // A peer that hung up may refuse the last bytes.
                let _ = conn.stream.write_all(&out);
            }
            match hs.poll_event() {
                Some(HandshakeEvent::Authenticate(req)) => hs.handle_auth_reply(auth(&req)),
                Some(HandshakeEvent::Complete(done)) => {
                    let mut out = BytesMut::new();
                    if hs.poll_transmit(&mut out) {
                        conn.stream.write_all(&out).unwrap();
                    }
                    conn.codec = ZmtpCodec::new().with_cipher(done.cipher);
                    return Ok((conn, done.peer));
                }
                Some(HandshakeEvent::Failed(e)) => {
                    let mut out = BytesMut::new();
                    if hs.poll_transmit(&mut out) {
                        let _ = conn.stream.write_all(&out);
                    }
                    return Err(e);
                }
                None => break,
            }
        }
        if !conn.fill() {
            return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        hs.handle_input(&mut conn.inbuf);
    }
}

fn connect(endpoint: &str) -> TcpStream {
    TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap()
}

fn client_config(server: &CurveKeyPair, client: &CurveKeyPair) -> MechanismConfig {
    MechanismConfig::CurveClient {
        server_key: server.public,
        keypair: client.clone(),
    }
}

/// A libzmq CURVE server socket of type `ty`, bound to an ephemeral port.
fn libzmq_server(
    ctx: &zmq::Context,
    ty: zmq::SocketType,
    keys: &CurveKeyPair,
) -> (zmq::Socket, String) {
    libzmq_server_with(ctx, ty, keys, |_| {})
}

/// [`libzmq_server`], with `setup` applied before binding (accepted
/// connections take the options the socket had when it bound).
fn libzmq_server_with(
    ctx: &zmq::Context,
    ty: zmq::SocketType,
    keys: &CurveKeyPair,
    setup: impl FnOnce(&zmq::Socket),
) -> (zmq::Socket, String) {
    let s = ctx.socket(ty).unwrap();
    s.set_linger(0).unwrap();
    setup(&s);
    s.set_curve_server(true).unwrap();
    s.set_curve_secretkey(keys.secret.to_z85().as_bytes())
        .unwrap();
    let ep = s.bind_tcp_ephemeral().unwrap();
    (s, ep)
}

/// A libzmq CURVE client socket of type `ty` with a fresh libzmq key pair.
fn libzmq_client(
    ctx: &zmq::Context,
    ty: zmq::SocketType,
    server_key: &str,
) -> (zmq::Socket, String) {
    let s = ctx.socket(ty).unwrap();
    s.set_linger(0).unwrap();
    let (public, secret) = zmq::curve_keypair();
    s.set_curve_serverkey(server_key.as_bytes()).unwrap();
    s.set_curve_publickey(public.as_bytes()).unwrap();
    s.set_curve_secretkey(secret.as_bytes()).unwrap();
    (s, public)
}

fn recv_libzmq(s: &zmq::Socket) -> Vec<Vec<u8>> {
    s.recv_multipart_timeout(PATIENCE).unwrap()
}

#[test]
fn keys_and_z85_agree_with_libzmq() {
    for _ in 0..50 {
        let (public, secret) = zmq::curve_keypair();
        let pair = CurveKeyPair::from_z85_secret(&secret).unwrap();
        assert_eq!(pair.public.to_z85(), public);
        assert_eq!(zmq::z85_decode(&public).unwrap(), pair.public.to_bytes());

        let ours = CurveKeyPair::generate();
        let secret = ours.secret.to_z85();
        assert_eq!(zmq::curve_public(&secret).unwrap(), ours.public.to_z85());
        assert_eq!(
            zmq::z85_encode(ours.secret.expose_bytes()).unwrap(),
            secret.as_str()
        );
    }
}

#[test]
fn oxmq_client_talks_to_a_libzmq_router() {
    let ctx = zmq::Context::new();
    let server = CurveKeyPair::generate();
    let client = CurveKeyPair::generate();
    let (router, ep) = libzmq_server(&ctx, zmq::SocketType::Router, &server);
    let mut md = Metadata::new();
    md.insert("X-Colour", "teal");
    let (mut conn, peer) = handshake(
        connect(&ep),
        &client_config(&server, &client),
        SocketType::Dealer,
        Some(b"oxmq-dealer"),
        &md,
        |req| panic!("a client is asked nothing: {req:?}"),
    )
    .expect("handshake with libzmq");
    assert_eq!(peer.mechanism, MechanismName::CURVE);
    assert_eq!(peer.socket_type, SocketType::Router);

    conn.send(&Message::from(["hello", "", "multi"]));
    conn.send(&Message::from(vec![Bytes::from(vec![7u8; 300_000])]));
    let got = router.recv_multipart_with_props(&["X-Colour"]).unwrap();
    assert_eq!(
        got.frames,
        vec![
            b"oxmq-dealer".to_vec(),
            b"hello".to_vec(),
            Vec::new(),
            b"multi".to_vec()
        ]
    );
    assert_eq!(
        got.properties.get("X-Colour").map(Vec::as_slice),
        Some(&b"teal"[..])
    );
    let big = recv_libzmq(&router);
    assert_eq!(big[1], vec![7u8; 300_000]);

    router
        .send_multipart([&b"oxmq-dealer"[..], b"world", b""])
        .unwrap();
    router
        .send_multipart([&b"oxmq-dealer"[..], &vec![9u8; 70_000][..]])
        .unwrap();
    assert_eq!(conn.recv(), Inbound::Message(Message::from(["world", ""])));
    assert_eq!(
        conn.recv(),
        Inbound::Message(Message::from(vec![Bytes::from(vec![9u8; 70_000])]))
    );
}

#[test]
fn oxmq_subscriber_talks_to_a_libzmq_xpub_with_heartbeats() {
    let ctx = zmq::Context::new();
    let server = CurveKeyPair::generate();
    let (xpub, ep) = libzmq_server_with(&ctx, zmq::SocketType::XPub, &server, |s| {
        s.set_heartbeat_ivl(50).unwrap();
        // Unanswered PINGs must not cost the connection on a slow machine.
        s.set_heartbeat_timeout(60_000).unwrap();
    });

    let (mut conn, _) = handshake(
        connect(&ep),
        &client_config(&server, &CurveKeyPair::generate()),
        SocketType::Sub,
        None,
        &Metadata::new(),
        |_| unreachable!(),
    )
    .expect("handshake with libzmq");

    // SUBSCRIBE and CANCEL travel as encrypted commands.
    conn.send_command(&Command::Subscribe(Bytes::from_static(b"top")));
    assert_eq!(recv_libzmq(&xpub), vec![b"\x01top".to_vec()]);
    xpub.send(b"top-news", 0).unwrap();
    // libzmq's PINGs arrive (encrypted) among the messages; answer one.
    let (mut ping_seen, mut news_seen) = (false, false);
    while !(ping_seen && news_seen) {
        match conn.recv() {
            Inbound::Command(Command::Ping(ping)) if !ping_seen => {
                ping_seen = true;
                conn.send_command(&Command::Pong(ping.pong()));
            }
            Inbound::Command(Command::Ping(_)) => {}
            Inbound::Message(m) => {
                assert_eq!(m, Message::from("top-news"));
                news_seen = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    conn.send_command(&Command::Cancel(Bytes::from_static(b"top")));
    conn.send_command(&Command::Subscribe(Bytes::from_static(b"other")));
    assert_eq!(recv_libzmq(&xpub), vec![b"\x00top".to_vec()]);
    // The connection is still up: the next subscription follows the CANCEL.
    assert_eq!(recv_libzmq(&xpub), vec![b"\x01other".to_vec()]);
}

#[test]
fn libzmq_dealer_talks_to_an_oxmq_router() {
    let ctx = zmq::Context::new();
    let server = CurveKeyPair::generate();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let (dealer, dealer_key) =
        libzmq_client(&ctx, zmq::SocketType::Dealer, &server.public.to_z85());
    dealer.set_routing_id(b"libzmq-dealer").unwrap();
    dealer.set_metadata("X-Lib", "zmq").unwrap();
    dealer.connect(&endpoint).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut asked = Vec::new();
    let (mut conn, peer) = handshake(
        stream,
        &MechanismConfig::CurveServer {
            keypair: server.clone(),
        },
        SocketType::Router,
        None,
        &Metadata::new(),
        |req| {
            asked.push(req.clone());
            AuthReply::allow("libzmq-user")
        },
    )
    .expect("handshake with libzmq");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].mechanism, MechanismName::CURVE);
    assert_eq!(
        CurvePublicKey::from_slice(&asked[0].credentials[0])
            .unwrap()
            .to_z85(),
        dealer_key
    );
    assert_eq!(peer.socket_type, SocketType::Dealer);
    assert_eq!(peer.routing_id.as_deref(), Some(&b"libzmq-dealer"[..]));
    assert_eq!(peer.metadata.get_str("X-Lib"), Some("zmq"));
    assert_eq!(peer.user_id.as_deref(), Some(&b"libzmq-user"[..]));

    dealer.send_multipart([&b"hi"[..], b"", b"there"]).unwrap();
    dealer.send_multipart([&vec![5u8; 100_000][..]]).unwrap();
    assert_eq!(
        conn.recv(),
        Inbound::Message(Message::from(["hi", "", "there"]))
    );
    assert_eq!(
        conn.recv(),
        Inbound::Message(Message::from(vec![Bytes::from(vec![5u8; 100_000])]))
    );
    conn.send(&Message::from(["back", "at you"]));
    conn.send(&Message::from(vec![Bytes::new()]));
    assert_eq!(
        recv_libzmq(&dealer),
        vec![b"back".to_vec(), b"at you".to_vec()]
    );
    assert_eq!(recv_libzmq(&dealer), vec![Vec::<u8>::new()]);
}

#[test]
fn libzmq_client_sees_the_refusal_of_an_oxmq_server() {
    let ctx = zmq::Context::new();
    let server = CurveKeyPair::generate();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let (dealer, _) = libzmq_client(&ctx, zmq::SocketType::Dealer, &server.public.to_z85());
    let monitor = dealer.monitor(zmq::event::HANDSHAKE_FAILED_AUTH).unwrap();
    dealer.connect(&endpoint).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let err = handshake(
        stream,
        &MechanismConfig::CurveServer { keypair: server },
        SocketType::Router,
        None,
        &Metadata::new(),
        |_| AuthReply::deny(400, "not you"),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(
        err,
        Error::Auth(AuthFailure {
            status_code: 400,
            ..
        })
    ));
    // libzmq read our ERROR as the authentication failure it is.
    let ev = monitor
        .wait_for(zmq::event::HANDSHAKE_FAILED_AUTH, PATIENCE)
        .unwrap();
    assert_eq!(ev.value, 400);
}

#[test]
fn oxmq_client_sees_the_refusal_of_a_libzmq_zap_handler() {
    let ctx = zmq::Context::new();
    let server = CurveKeyPair::generate();
    let client = CurveKeyPair::generate();
    let expected = client.public.to_bytes().to_vec();
    let zap = zmq::ZapHandler::start(&ctx, move |req| {
        assert_eq!(req.mechanism, "CURVE");
        assert_eq!(req.credentials, vec![expected.clone()]);
        zmq::ZapReply::deny("no entry")
    })
    .unwrap();
    let (_router, ep) = libzmq_server(&ctx, zmq::SocketType::Router, &server);
    let err = handshake(
        connect(&ep),
        &client_config(&server, &client),
        SocketType::Dealer,
        None,
        &Metadata::new(),
        |_| unreachable!(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth(AuthFailure {
                status_code: 400,
                ..
            })
        ),
        "{err:?}"
    );
    zap.stop();
}

#[test]
fn wrong_server_keys_fail_both_ways() {
    let ctx = zmq::Context::new();
    let server = CurveKeyPair::generate();

    // oxmq client, wrong key: libzmq drops the connection after HELLO.
    let (_router, ep) = libzmq_server(&ctx, zmq::SocketType::Router, &server);
    let wrong = CurveKeyPair::generate();
    let err = handshake(
        connect(&ep),
        &client_config(&wrong, &CurveKeyPair::generate()),
        SocketType::Dealer,
        None,
        &Metadata::new(),
        |_| unreachable!(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");

    // libzmq client, wrong key: oxmq refuses its HELLO.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let (dealer, _) = libzmq_client(&ctx, zmq::SocketType::Dealer, &wrong.public.to_z85());
    dealer.connect(&endpoint).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let err = handshake(
        stream,
        &MechanismConfig::CurveServer { keypair: server },
        SocketType::Router,
        None,
        &Metadata::new(),
        |_| unreachable!(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(err.is_protocol(), "{err:?}");
}
