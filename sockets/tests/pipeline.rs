//! PUSH/PULL and PAIR behaviour over inproc, ipc and tcp.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxmq_sockets::{Pair, Pull, Push};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use tokio::time::timeout;

const SAFETY: Duration = Duration::from_secs(20);

fn endpoints() -> Vec<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    vec![
        format!("inproc://pipeline-{n}"),
        format!("ipc:///tmp/oxmq-sockets-{pid}-{n}.sock"),
        "tcp://127.0.0.1:0".to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_delivers_in_order_on_every_transport() {
    for ep in endpoints() {
        let ctx = Context::new();
        let mut pull = Pull::new(&ctx);
        let bound = pull.bind(&ep).await.unwrap();
        let mut push = Push::new(&ctx);
        push.connect(&bound).unwrap();
        let sender = tokio::spawn(async move {
            for i in 0..1000u32 {
                push.send(Message::from(i.to_be_bytes().to_vec()))
                    .await
                    .unwrap();
            }
            push
        });
        for i in 0..1000u32 {
            let m = timeout(SAFETY, pull.recv()).await.expect(&ep).unwrap();
            assert_eq!(&m[0][..], &i.to_be_bytes(), "{ep}");
        }
        drop(sender.await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_fair_queues_five_pushers() {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.bind("inproc://fair").await.unwrap();
    let mut pushers = Vec::new();
    for p in 0..5u8 {
        let mut push = Push::new(&ctx);
        push.connect("inproc://fair").unwrap();
        for k in 0..2u8 {
            timeout(SAFETY, push.send(vec![p, k]))
                .await
                .unwrap()
                .unwrap();
        }
        pushers.push(push);
    }
    let mut got = Vec::new();
    for _ in 0..10 {
        let m = timeout(SAFETY, pull.recv()).await.unwrap().unwrap();
        got.push((m[0][0], m[0][1]));
    }
    // One message from each pusher before any second one.
    let firsts: Vec<u8> = got[..5].iter().map(|&(_, k)| k).collect();
    assert_eq!(firsts, vec![0; 5], "{got:?}");
    let mut senders: Vec<u8> = got[..5].iter().map(|&(p, _)| p).collect();
    senders.sort_unstable();
    assert_eq!(senders, vec![0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn push_queues_before_the_bind_and_blocks_at_hwm_on_inproc() {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 3);
    push.connect("inproc://hwm").unwrap();
    // Nothing bound yet: the pipe exists anyway (libzmq's pending
    // connection) and queues up to SNDHWM.
    timeout(SAFETY, push.send("early")).await.unwrap().unwrap();
    let pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 2);
    pull.bind("inproc://hwm").await.unwrap();
    // SNDHWM + RCVHWM = 5 messages fit once bound; the sixth waits.
    for i in 0..4 {
        timeout(SAFETY, push.send(format!("m{i}")))
            .await
            .unwrap()
            .unwrap();
    }
    assert!(timeout(Duration::from_millis(50), push.send("m5"))
        .await
        .is_err());
    drop(pull);
}

#[tokio::test]
async fn empty_message_is_a_typed_error() {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    assert!(matches!(
        push.send(Message::new()).await,
        Err(oxmq_sockets::SocketError::EmptyMessage)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_talks_both_ways_on_every_transport() {
    for ep in endpoints() {
        let ctx = Context::new();
        let mut a = Pair::new(&ctx);
        let bound = a.bind(&ep).await.unwrap();
        let mut b = Pair::new(&ctx);
        b.connect(&bound).unwrap();
        timeout(SAFETY, b.send(["hello", "", "world"]))
            .await
            .unwrap()
            .unwrap();
        let m = timeout(SAFETY, a.recv()).await.unwrap().unwrap();
        assert_eq!(m, Message::from(["hello", "", "world"]), "{ep}");
        timeout(SAFETY, a.send("back")).await.unwrap().unwrap();
        let m = timeout(SAFETY, b.recv()).await.unwrap().unwrap();
        assert_eq!(m, Message::from("back"), "{ep}");
    }
}

#[tokio::test]
async fn try_send_try_recv_and_stream_sink() {
    use futures::{SinkExt, StreamExt};
    use oxmq_sockets::TrySendError;
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 1);
    // No peer: try_send hands the message back.
    let Err(TrySendError::WouldBlock(back)) = push.try_send("x") else {
        panic!("expected WouldBlock")
    };
    assert_eq!(back, Message::from("x"));
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 1);
    assert!(matches!(
        pull.try_recv(),
        Err(oxmq_sockets::SocketError::WouldBlock)
    ));
    pull.bind("inproc://try").await.unwrap();
    push.connect("inproc://try").unwrap();
    // The Sink waits for the peer; the Stream yields what arrives.
    push.send_all(&mut futures::stream::iter(
        ["a", "b"].map(|s| Ok(Message::from(s))),
    ))
    .await
    .unwrap();
    assert_eq!(pull.next().await.unwrap().unwrap(), Message::from("a"));
    assert_eq!(pull.try_recv().unwrap(), Message::from("b"));
    // SNDHWM 1 + RCVHWM 1 = 2 messages fit, the third would block, also
    // after the connection marker was consumed.
    push.try_send("c").unwrap();
    push.try_send("d").unwrap();
    assert!(matches!(
        push.try_send("e"),
        Err(TrySendError::WouldBlock(_))
    ));
    assert_eq!(pull.recv().await.unwrap(), Message::from("c"));
    push.try_send("e").unwrap();
}

#[tokio::test]
async fn conflate_keeps_only_the_newest() {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.set_conflate(true);
    pull.bind("inproc://conflate").await.unwrap();
    let mut push = Push::new(&ctx);
    push.connect("inproc://conflate").unwrap();
    for i in 0..20u8 {
        push.send(vec![i]).await.unwrap();
    }
    // All 20 are queued (inproc): only the last one is delivered.
    assert_eq!(&pull.recv().await.unwrap()[0][..], &[19]);
    assert!(matches!(
        pull.try_recv(),
        Err(oxmq_sockets::SocketError::WouldBlock)
    ));
    push.send(vec![42]).await.unwrap();
    assert_eq!(&pull.recv().await.unwrap()[0][..], &[42]);
}
