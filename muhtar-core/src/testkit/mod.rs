//! Test support (feature `testkit`): the in-memory store, fixtures, a given/when/then
//! helper for the request lifecycle, **the** store conformance suite that every store
//! runs through [`crate::store_conformance_tests!`], and the checks of the fuzz targets
//! ([`fuzz`]).

pub mod conformance;
pub mod fixtures;
pub mod fuzz;
pub mod lifecycle;
mod memory;

pub use memory::MemoryStore;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread. Enough for the in-memory store in
/// doctests; real stores use their async runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}
