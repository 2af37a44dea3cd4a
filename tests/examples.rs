//! The guide examples in `examples/`, run together.
//!
//! Each example keeps its logic in a `run` function and only parses its
//! arguments in `main`; this file includes the example sources as modules
//! and runs the pieces that are separate processes in the guide as tasks of
//! one test, over `ipc://` paths unique to the test. That tests exactly the
//! code `cargo run --example` runs, needs no example binaries built
//! beforehand (cargo builds examples for `cargo test`, but not for every
//! `--test` selection or profile), and waits on results rather than on
//! process output. Servers that run forever are dropped (aborted) when
//! their clients are done.

use std::future::Future;
use std::time::Duration;

use oxmq::{Context, Push};

// `dead_code`: each example's `main`, unused here.
#[allow(dead_code)]
#[path = "../examples/hwclient.rs"]
pub mod hwclient;
#[allow(dead_code)]
#[path = "../examples/hwserver.rs"]
pub mod hwserver;
#[allow(dead_code)]
#[path = "../examples/msgqueue.rs"]
pub mod msgqueue;
#[allow(dead_code)]
#[path = "../examples/mspoller.rs"]
pub mod mspoller;
#[allow(dead_code)]
#[path = "../examples/mtserver.rs"]
pub mod mtserver;
#[allow(dead_code)]
#[path = "../examples/rrbroker.rs"]
pub mod rrbroker;
#[allow(dead_code)]
#[path = "../examples/rrclient.rs"]
pub mod rrclient;
#[allow(dead_code)]
#[path = "../examples/rrworker.rs"]
pub mod rrworker;
#[allow(dead_code)]
#[path = "../examples/tasksink.rs"]
pub mod tasksink;
#[allow(dead_code)]
#[path = "../examples/taskvent.rs"]
pub mod taskvent;
#[allow(dead_code)]
#[path = "../examples/taskwork.rs"]
pub mod taskwork;
#[allow(dead_code)]
#[path = "../examples/wuclient.rs"]
pub mod wuclient;
#[allow(dead_code)]
#[path = "../examples/wuserver.rs"]
pub mod wuserver;

/// Safety net: a test that hangs fails instead.
const LIMIT: Duration = Duration::from_secs(60);

/// A fresh `ipc://` endpoint for this test process. On Linux it is in the
/// abstract namespace, so servers the tests abort leave no socket files.
fn ipc(label: &str) -> String {
    let name = format!("oxmq-example-{}-{label}", std::process::id());
    if cfg!(target_os = "linux") {
        return format!("ipc://@{name}");
    }
    let path = std::env::temp_dir().join(format!("{name}.sock"));
    let _ = std::fs::remove_file(&path);
    format!("ipc://{}", path.display())
}

async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("example did not finish in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_world_client_and_server() {
    let ctx = Context::new();
    let ep = ipc("hw");
    let server = tokio::spawn({
        let (ctx, ep) = (ctx.clone(), ep.clone());
        async move { hwserver::run(&ctx, &ep, Some(10), Duration::ZERO).await }
    });
    let replies = within(hwclient::run(&ctx, &ep, 10)).await.unwrap();
    assert_eq!(replies, vec!["World"; 10]);
    assert_eq!(within(server).await.unwrap().unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weather_updates_are_filtered() {
    let ctx = Context::new();
    let ep = ipc("wu");
    // Three zip codes, so that the filter matches a third of the updates.
    let server = tokio::spawn({
        let (ctx, ep) = (ctx.clone(), ep.clone());
        async move { wuserver::run(&ctx, &ep, 3, None).await }
    });
    let average = within(wuclient::run(&ctx, &ep, "00001 ", 20))
        .await
        .unwrap();
    assert!((-80.0..=135.0).contains(&average), "{average}");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ventilator_workers_and_sink_with_kill_signal() {
    let ctx = Context::new();
    let (tasks, results, control) = (ipc("vent"), ipc("sink"), ipc("control"));
    const TASKS: u32 = 20;
    let sink = tokio::spawn({
        let (ctx, results, control) = (ctx.clone(), results.clone(), control.clone());
        async move { tasksink::run(&ctx, &results, &control, TASKS).await }
    });
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (ctx, tasks, results, control) =
                (ctx.clone(), tasks.clone(), results.clone(), control.clone());
            tokio::spawn(async move { taskwork::run(&ctx, &tasks, &results, &control).await })
        })
        .collect();
    let expected_ms = within(taskvent::run(&ctx, &tasks, &results, TASKS, 5))
        .await
        .unwrap();
    assert!((u64::from(TASKS)..=u64::from(TASKS) * 5).contains(&expected_ms));
    within(sink).await.unwrap().unwrap();
    // The KILL stops every worker; between them they did every task.
    let mut done = 0;
    for worker in workers {
        done += within(worker).await.unwrap().unwrap();
    }
    assert_eq!(done, u64::from(TASKS));
}

/// Clients and workers around a broker given as `broker`.
async fn request_reply_through<B>(label: &str, broker: impl FnOnce(Context, String, String) -> B)
where
    B: Future<Output = Result<(), oxmq::SocketError>> + Send + 'static,
{
    let ctx = Context::new();
    let (front, back) = (
        ipc(&format!("{label}-front")),
        ipc(&format!("{label}-back")),
    );
    let broker = tokio::spawn(broker(ctx.clone(), front.clone(), back.clone()));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (ctx, back) = (ctx.clone(), back.clone());
            tokio::spawn(async move { rrworker::run(&ctx, &back, None, Duration::ZERO).await })
        })
        .collect();
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (ctx, front) = (ctx.clone(), front.clone());
            tokio::spawn(async move { rrclient::run(&ctx, &front, 5).await })
        })
        .collect();
    for client in clients {
        let replies = within(client).await.unwrap().unwrap();
        assert_eq!(replies, vec!["World"; 5]);
    }
    for worker in workers {
        worker.abort();
    }
    broker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_reply_broker() {
    request_reply_through("rrbroker", |ctx, front, back| async move {
        rrbroker::run(&ctx, &front, &back).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_queue_proxy() {
    request_reply_through("msgqueue", |ctx, front, back| async move {
        msgqueue::run(&ctx, &front, &back).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multithreaded_server_over_inproc() {
    let ctx = Context::new();
    let ep = ipc("mt");
    let server = tokio::spawn({
        let (ctx, ep) = (ctx.clone(), ep.clone());
        async move { mtserver::run(&ctx, &ep, 3, Duration::from_millis(1)).await }
    });
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (ctx, ep) = (ctx.clone(), ep.clone());
            tokio::spawn(async move { hwclient::run(&ctx, &ep, 4).await })
        })
        .collect();
    for client in clients {
        assert_eq!(within(client).await.unwrap().unwrap(), vec!["World"; 4]);
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_reads_two_sockets() {
    let ctx = Context::new();
    let (tasks, weather) = (ipc("mstasks"), ipc("msweather"));
    let server = tokio::spawn({
        let (ctx, weather) = (ctx.clone(), weather.clone());
        async move { wuserver::run(&ctx, &weather, 2, None).await }
    });
    let mut ventilator = Push::new(&ctx);
    ventilator.bind(&tasks).await.unwrap();
    let feeder = tokio::spawn(async move {
        for n in 0..3 {
            ventilator.send(n.to_string()).await?;
        }
        Ok::<_, oxmq::SocketError>(ventilator)
    });
    let (got_tasks, got_updates) = within(mspoller::run(&ctx, &tasks, &weather, "00001 ", Some(3)))
        .await
        .unwrap();
    assert_eq!(got_tasks, 3);
    assert!(got_updates >= 3);
    within(feeder).await.unwrap().unwrap();
    server.abort();
}
