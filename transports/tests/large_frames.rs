//! Large frames through the engine over tcp and ipc: bodies written by
//! reference with vectored writes between small frames copied together,
//! and read into room reserved for the whole frame (or grown step by step
//! past the preallocation limit). Whatever the mix, both directions at
//! once, every message arrives whole, in order, byte for byte.

mod support;

use bytes::Bytes;
use oxmq_transports::{Context, PipeMsg, PipeReceiver, PipeSender};
use oxmq_zmtp::codec::{PREALLOC_LIMIT, VECTORED_MIN};
use oxmq_zmtp::{Message, SocketType};
use support::*;

/// A body of `len` bytes whose content depends on `seed` and the position.
fn pattern(seed: usize, len: usize) -> Bytes {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(7)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// The frame sizes of message `i` of the sequence: small ones around the
/// vectored threshold, multipart mixes, and a few big ones.
fn shape(i: usize) -> Vec<usize> {
    match i % 12 {
        0 => vec![10],
        1 => vec![VECTORED_MIN - 1],
        2 => vec![VECTORED_MIN],
        3 => vec![0, VECTORED_MIN + 1, 5],
        4 => vec![300 * 1024],
        5 => vec![3, 3 * 1024 * 1024, 200, 70 * 1024],
        6 => vec![255],
        7 => vec![256],
        8 => vec![1],
        9 => vec![64 * 1024, 64 * 1024],
        10 => vec![2],
        _ => vec![100; 4],
    }
}

fn message(i: usize, shape: &[usize]) -> Message {
    let frames: Vec<Bytes> = shape
        .iter()
        .enumerate()
        .map(|(j, &len)| pattern(i * 8 + j, len))
        .collect();
    Message::from(frames)
}

/// Sends `count` messages of the sequence, with one huge message (past
/// the preallocation limit) in the middle.
async fn send_all(tx: &PipeSender, count: usize, huge: usize) {
    for i in 0..count {
        if i == count / 2 {
            tx.send(PipeMsg::Message(message(HUGE_SEED, &[huge])))
                .await
                .expect("pipe closed");
        }
        tx.send(PipeMsg::Message(message(i, &shape(i))))
            .await
            .expect("pipe closed");
    }
}

async fn next_message(rx: &mut PipeReceiver) -> Message {
    match rx.recv().await {
        Some(PipeMsg::Message(m)) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

async fn receive_all(rx: &mut PipeReceiver, count: usize, huge: usize) {
    for i in 0..count {
        if i == count / 2 {
            let got = next_message(rx).await;
            assert!(
                got == message(HUGE_SEED, &[huge]),
                "the huge message differs"
            );
        }
        let got = next_message(rx).await;
        let want = message(i, &shape(i));
        assert_eq!(got.len(), want.len(), "message {i}: frame count");
        for (j, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            assert_eq!(g.len(), w.len(), "message {i}, frame {j}: size");
            assert!(g == w, "message {i}, frame {j}: content differs");
        }
    }
}

const HUGE_SEED: usize = 1000;

async fn both_ways(t: Transport) {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pair);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");
    let (conn, mut conn_peers) = socket(&ctx, SocketType::Pair);
    conn.connect(&ep).expect("connect");
    let (mut a, _) = bind_peers.next_connected().await;
    let (mut b, _) = conn_peers.next_connected().await;

    let count = 48;
    let huge = 2 * PREALLOC_LIMIT + 3;
    within("messages both ways at once", async {
        tokio::join!(
            send_all(&a.tx, count, huge),
            send_all(&b.tx, count, huge),
            receive_all(&mut a.rx, count, huge),
            receive_all(&mut b.rx, count, huge),
        )
    })
    .await;
    drop((a, b, binder, conn));
    ctx.term().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frames_both_ways_tcp() {
    both_ways(Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frames_both_ways_ipc() {
    both_ways(Transport::Ipc).await;
}
