//! Background tasks of `muhtar serve` (the outbox dispatcher, the deadline sweeper)
//! under supervision: a task that panics is logged, counted and restarted after a
//! back-off (1 s, doubling, at most [`MAX_BACKOFF`]); `/readyz` reports a task that is
//! restarting or panicked within [`UNHEALTHY_FOR`]; on shutdown a task gets
//! [`SHUTDOWN_GRACE`] to finish its pass and is then dropped (a message it had claimed
//! is retried when its lease runs out).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The longest wait before a restart.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long after its last panic a task still makes `/readyz` answer 503.
pub const UNHEALTHY_FOR: Duration = Duration::from_secs(300);
/// How long a task may take to stop after the server was told to.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// A task that ran this long before panicking starts its back-off from 1 s again.
const STABLE_AFTER: Duration = Duration::from_secs(120);

/// What is known about one task.
#[derive(Debug, Clone, Default)]
struct Health {
    panics: u64,
    last_panic: Option<Instant>,
    restarting: bool,
}

/// The supervised tasks and their health.
#[derive(Debug, Default)]
pub struct Supervisor {
    tasks: Mutex<BTreeMap<&'static str, Health>>,
}

/// Whether every task is healthy: `Err` lists the unhealthy ones, e.g.
/// `dispatcher: 3 panics, restarting`.
pub type Readiness = Result<(), String>;

impl Supervisor {
    /// A supervisor with no tasks.
    pub fn new() -> Arc<Self> {
        Arc::new(Supervisor::default())
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut Health)) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        f(tasks.entry(name).or_default());
    }

    /// The panics counted for `name` so far.
    #[cfg(test)]
    pub fn panics(&self, name: &str) -> u64 {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.get(name).map(|h| h.panics).unwrap_or(0)
    }

    /// Every task restarting, or that panicked within [`UNHEALTHY_FOR`].
    pub fn readiness(&self) -> Readiness {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let bad: Vec<String> = tasks
            .iter()
            .filter(|(_, h)| {
                h.restarting || h.last_panic.is_some_and(|t| t.elapsed() < UNHEALTHY_FOR)
            })
            .map(|(name, h)| {
                let state = if h.restarting {
                    "restarting"
                } else {
                    "running again"
                };
                let s = if h.panics == 1 { "" } else { "s" };
                format!("{name}: {} panic{s}, {state}", h.panics)
            })
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad.join("; "))
        }
    }

    /// Runs `make()`'s task as `name` until it returns or `stop` turns true: restarted
    /// after a back-off whenever it panics. Once `stop` is true the task gets
    /// [`SHUTDOWN_GRACE`] to return, then is aborted.
    pub fn spawn<F, Fut>(
        self: &Arc<Self>,
        name: &'static str,
        mut stop: watch::Receiver<bool>,
        make: F,
    ) -> JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let this = self.clone();
        self.update(name, |_| {});
        tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let started = Instant::now();
                let mut task = tokio::spawn(make());
                let result = tokio::select! {
                    r = &mut task => Some(r),
                    _ = stopped(&mut stop) => None,
                };
                let Some(result) = result else {
                    if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                        .await
                        .is_err()
                    {
                        tracing::warn!(
                            task = name,
                            "did not stop within {} s: dropped mid-pass (a notice it had \
                             claimed is retried when its lease runs out)",
                            SHUTDOWN_GRACE.as_secs()
                        );
                        task.abort();
                    }
                    return;
                };
                match result {
                    Ok(()) => return,
                    Err(e) if e.is_panic() => {
                        if started.elapsed() > STABLE_AFTER {
                            backoff = Duration::from_secs(1);
                        }
                        let mut panics = 0;
                        this.update(name, |h| {
                            h.panics += 1;
                            h.last_panic = Some(Instant::now());
                            h.restarting = true;
                            panics = h.panics;
                        });
                        // The panic's message and place went to stderr from the panic hook.
                        tracing::error!(
                            task = name,
                            panics,
                            restart_in_s = backoff.as_secs(),
                            "background task panicked; restarting it"
                        );
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = stopped(&mut stop) => return,
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        this.update(name, |h| h.restarting = false);
                    }
                    Err(_) => return,
                }
            }
        })
    }
}

/// Completes when `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A task that panics twice is restarted each time, after 1 s then 2 s; the panics
    /// are counted and make the supervisor not ready; it then runs until stopped.
    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_counted_reported_and_restarted_with_backoff() {
        let sup = Supervisor::new();
        let (stop_tx, stop) = watch::channel(false);
        let runs = Arc::new(AtomicU32::new(0));
        let r = runs.clone();
        let handle = sup.spawn("dispatcher", stop, move || {
            let r = r.clone();
            async move {
                if r.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("boom");
                }
                std::future::pending::<()>().await
            }
        });
        assert_eq!(sup.readiness(), Ok(()));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            (runs.load(Ordering::SeqCst), sup.panics("dispatcher")),
            (1, 1)
        );
        assert_eq!(
            sup.readiness(),
            Err("dispatcher: 1 panic, restarting".into())
        );
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(
            (runs.load(Ordering::SeqCst), sup.panics("dispatcher")),
            (2, 2)
        );
        // The second back-off is 2 s.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!(
            sup.readiness(),
            Err("dispatcher: 2 panics, running again".into())
        );
        tokio::time::sleep(UNHEALTHY_FOR).await;
        assert_eq!(sup.readiness(), Ok(()));
        // A task that does not stop is aborted after the grace period.
        stop_tx.send(true).unwrap();
        let t = Instant::now();
        handle.await.unwrap();
        assert!(t.elapsed() <= SHUTDOWN_GRACE + Duration::from_millis(10));
    }

    /// A task that returns is not restarted.
    #[tokio::test]
    async fn a_task_that_returns_is_done() {
        let sup = Supervisor::new();
        let (_stop_tx, stop) = watch::channel(false);
        sup.spawn("sweeper", stop, || async {}).await.unwrap();
        assert_eq!(sup.panics("sweeper"), 0);
        assert_eq!(sup.readiness(), Ok(()));
    }
}
