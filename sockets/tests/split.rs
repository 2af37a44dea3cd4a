//! Full-duplex sockets split into halves used from two tasks at once.

use std::time::Duration;

use oxmq_sockets::{Dealer, Router};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use tokio::time::timeout;

const SAFETY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dealer_and_router_halves_work_concurrently() {
    for ep in ["inproc://split", "tcp://127.0.0.1:0"] {
        let ctx = Context::new();
        let mut router = Router::new(&ctx);
        // The echo must not be dropped: a ROUTER drops what it sends to a
        // peer at its HWM (as libzmq's does), and the echoing task can
        // outrun the connection's engine by a whole HWM on a busy machine.
        router.set_mandatory(true);
        let bound = router.bind(ep).await.unwrap();
        let dealer = Dealer::new(&ctx);
        dealer.connect(&bound).unwrap();
        // The ROUTER echoes from two tasks: one receives, one sends.
        let (mut r_tx, mut r_rx) = router.split();
        let (fwd_tx, mut fwd_rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
        let receiver = tokio::spawn(async move {
            while let Ok(m) = r_rx.recv().await {
                if fwd_tx.send(m).is_err() {
                    break;
                }
            }
        });
        let echoer = tokio::spawn(async move {
            while let Some(m) = fwd_rx.recv().await {
                r_tx.send(m).await.unwrap();
            }
        });
        // The DEALER sends from one task and receives in another.
        let (mut d_tx, mut d_rx) = dealer.split();
        const N: u32 = 2_000;
        let sender = tokio::spawn(async move {
            for i in 0..N {
                d_tx.send(i.to_be_bytes().to_vec()).await.unwrap();
            }
            d_tx
        });
        for i in 0..N {
            let m = timeout(SAFETY, d_rx.recv()).await.expect(ep).unwrap();
            assert_eq!(&m[0][..], &i.to_be_bytes(), "{ep}");
        }
        let d_tx = sender.await.unwrap();
        let _dealer = d_tx.reunite(d_rx).unwrap();
        receiver.abort();
        echoer.abort();
    }
}
