//! [`Context`]: the explicit home of everything sockets share — the inproc
//! namespace, the background tasks, the default authenticator. There is no
//! global state: two contexts never see each other's inproc endpoints.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Authenticator;
use crate::inproc::InprocBinder;

/// A set of sockets that share an inproc namespace and background tasks.
///
/// Cheap to clone (a handle). Sockets keep their context alive.
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    inproc: Mutex<HashMap<String, watch::Sender<Option<Arc<InprocBinder>>>>>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    /// Set by `shutdown` before `shutdown` is cancelled: a plain load for
    /// the sockets' per-call check (`is_cancelled` takes a lock).
    shut_down: AtomicBool,
    next_socket_id: AtomicU64,
    authenticator: Mutex<Option<Arc<dyn Authenticator>>>,
    /// Notified when `term` starts.
    term: tokio::sync::Notify,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("tasks", &self.inner.tracker.len())
            .field("shut_down", &self.inner.shutdown.is_cancelled())
            .finish()
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these short locks cannot leave the data
    // inconsistent (every critical section is a single map operation).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Context {
    /// A new, empty context.
    pub fn new() -> Self {
        Context {
            inner: Arc::new(Inner {
                inproc: Mutex::new(HashMap::new()),
                tracker: TaskTracker::new(),
                shutdown: CancellationToken::new(),
                shut_down: AtomicBool::new(false),
                next_socket_id: AtomicU64::new(1),
                authenticator: Mutex::new(None),
                term: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Sets the authenticator used by sockets of this context that have none
    /// of their own (libzmq's one ZAP handler per context).
    pub fn set_authenticator(&self, auth: Option<Arc<dyn Authenticator>>) {
        *lock(&self.inner.authenticator) = auth;
    }

    /// The context-wide authenticator, if any.
    pub fn authenticator(&self) -> Option<Arc<dyn Authenticator>> {
        lock(&self.inner.authenticator).clone()
    }

    /// Number of background tasks (listeners, connections, lingering
    /// flushes) alive right now.
    pub fn task_count(&self) -> usize {
        self.inner.tracker.len()
    }

    /// Stops every socket of this context at once: listeners close, queued
    /// messages are dropped without lingering. Like `zmq_ctx_shutdown`,
    /// every operation of the context's sockets — those waiting now and all
    /// later ones, even with messages still queued — then fails with a
    /// `Closed` error (libzmq's `ETERM`), and so do `bind` and `connect`.
    pub fn shutdown(&self) {
        // The flag first: whoever the cancellation wakes sees it set.
        self.inner.shut_down.store(true, Ordering::Release);
        self.inner.shutdown.cancel();
    }

    /// Whether [`shutdown`](Self::shutdown) was called. One atomic load:
    /// cheap enough to check on every send and receive.
    #[inline]
    pub fn is_shut_down(&self) -> bool {
        self.inner.shut_down.load(Ordering::Acquire)
    }

    /// Waits until every background task has ended: after all sockets were
    /// dropped, this returns once their lingering messages were flushed (or
    /// their linger ran out), like `zmq_ctx_term`.
    pub async fn term(&self) {
        self.inner.tracker.close();
        self.inner.term.notify_waiters();
        self.inner.tracker.wait().await;
        self.inner.tracker.reopen();
    }

    /// How many handles share this context (tests: what keeps it alive).
    #[cfg(test)]
    pub(crate) fn handles(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    pub(crate) fn tracker(&self) -> &TaskTracker {
        &self.inner.tracker
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Completes when `term` is called (at once if it is running): tasks
    /// that would wait for something that may never happen give up then.
    pub(crate) async fn term_requested(&self) {
        let notified = self.inner.term.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.inner.tracker.is_closed() {
            return;
        }
        notified.await;
    }

    pub(crate) fn next_socket_id(&self) -> u64 {
        self.inner.next_socket_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The watch slot of an inproc name (created empty on first use).
    pub(crate) fn inproc_slot(&self, name: &str) -> watch::Receiver<Option<Arc<InprocBinder>>> {
        let mut map = lock(&self.inner.inproc);
        map.entry(name.to_string())
            .or_insert_with(|| watch::channel(None).0)
            .subscribe()
    }

    /// The live binding of an inproc name, if any (without creating a slot).
    pub(crate) fn inproc_binder(&self, name: &str) -> Option<Arc<InprocBinder>> {
        let map = lock(&self.inner.inproc);
        let binder = map.get(name)?.borrow().clone()?;
        (!binder.token.is_cancelled()).then_some(binder)
    }

    /// Registers `binder` under `name`; false if the name is taken.
    pub(crate) fn inproc_bind(&self, name: &str, binder: Arc<InprocBinder>) -> bool {
        let mut map = lock(&self.inner.inproc);
        let slot = map
            .entry(name.to_string())
            .or_insert_with(|| watch::channel(None).0);
        if slot.borrow().is_some() {
            return false;
        }
        slot.send_replace(Some(binder));
        true
    }

    /// Removes the binding of `name` if it is `binder`'s.
    pub(crate) fn inproc_unbind(&self, name: &str, binder_id: u64) {
        let mut map = lock(&self.inner.inproc);
        if let Some(slot) = map.get(name) {
            let ours = slot.borrow().as_ref().is_some_and(|b| b.id == binder_id);
            if ours {
                slot.send_replace(None);
            }
            if slot.receiver_count() == 0 && slot.borrow().is_none() {
                map.remove(name);
            }
        }
    }
}
