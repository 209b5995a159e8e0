//! The recording stub behind [`crate::RecordingTransport`] and
//! [`crate::RecordingSmsGateway`]: records what it is asked to send, and fails when told to.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use muhtar_core::outbox::DeliveryError;

/// Records what it is asked to send (e-mails or SMS), and fails when told to: for tests.
#[derive(Debug)]
pub struct Recorder<T> {
    sent: Mutex<Vec<T>>,
    script: Mutex<VecDeque<DeliveryError>>,
    always: Mutex<Option<DeliveryError>>,
}

impl<T> Default for Recorder<T> {
    fn default() -> Self {
        Self {
            sent: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            always: Mutex::new(None),
        }
    }
}

fn lock<U>(m: &Mutex<U>) -> MutexGuard<'_, U> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T: Clone> Recorder<T> {
    /// A recorder that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// What was sent successfully, in order.
    pub fn sent(&self) -> Vec<T> {
        lock(&self.sent).clone()
    }

    /// Makes the next send fail with `error` (queued; one error per send).
    pub fn fail_next(&self, error: DeliveryError) {
        lock(&self.script).push_back(error);
    }

    /// Makes every send fail with `error` until called with `None`.
    pub fn fail_always(&self, error: Option<DeliveryError>) {
        *lock(&self.always) = error;
    }

    /// One send: the next scripted error, else the standing error, else recorded.
    pub(crate) fn record(&self, item: &T) -> Result<(), DeliveryError> {
        if let Some(e) = lock(&self.script).pop_front() {
            return Err(e);
        }
        if let Some(e) = lock(&self.always).clone() {
            return Err(e);
        }
        lock(&self.sent).push(item.clone());
        Ok(())
    }
}
