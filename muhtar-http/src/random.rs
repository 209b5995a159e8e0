//! [`OsRandom`]: the unpredictable source of request ids, tracking numbers and outbox ids
//! that a deployment gives the service (`Mbs::new`).

use muhtar_core::ids::RandomSource;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// A cryptographically secure [`RandomSource`]: the ChaCha20 stream cipher as a
/// generator, seeded with 256 bits from the operating system.
///
/// Seeing any number of its outputs (request ids, tracking numbers) tells nothing about
/// the next ones, and every process draws a fresh seed, so a restarted server does not
/// give out the numbers of its previous run again. Use one per service; the service
/// holds it behind its lock.
pub struct OsRandom(ChaCha20Rng);

impl OsRandom {
    /// A generator seeded from the operating system's randomness; fails only when the
    /// operating system has none to give.
    pub fn new() -> Result<Self, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)?;
        Ok(Self(ChaCha20Rng::from_seed(seed)))
    }
}

/// 256 bits from the operating system, for a key that lives as long as the process.
///
/// # Panics
/// When the operating system has no randomness to give (the server could not make an
/// unpredictable id either).
pub(crate) fn key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).expect("the operating system gives no randomness");
    key
}

impl std::fmt::Debug for OsRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the state: it would tell the next ids.
        f.debug_struct("OsRandom").finish_non_exhaustive()
    }
}

impl RandomSource for OsRandom {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use muhtar_core::ids::SeededRandom;

    fn draws(r: &mut impl RandomSource) -> Vec<u64> {
        (0..4).map(|_| r.next_u64()).collect()
    }

    #[test]
    fn two_fresh_generators_draw_different_sequences() {
        let (mut a, mut b) = (OsRandom::new().unwrap(), OsRandom::new().unwrap());
        let (da, db) = (draws(&mut a), draws(&mut b));
        assert_ne!(da, db);
        // Nor does one repeat itself.
        assert_ne!(da, draws(&mut a));
    }

    #[test]
    fn the_draws_are_not_a_small_seeds_splitmix_sequence() {
        let first = OsRandom::new().unwrap().next_u64();
        for seed in 0..1000 {
            assert_ne!(first, SeededRandom::new(seed).next_u64(), "seed {seed}");
        }
        // The debug form shows no state.
        assert_eq!(format!("{:?}", OsRandom::new().unwrap()), "OsRandom { .. }");
    }

    #[test]
    fn fill_bytes_fills_every_byte() {
        let mut r = OsRandom::new().unwrap();
        // 64 bytes all zero after filling: probability 2^-512.
        let mut bytes = [0u8; 64];
        r.fill_bytes(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
        let mut tail = [0u8; 64];
        r.fill_bytes(&mut tail[..13]);
        assert!(tail[..13].iter().any(|&b| b != 0));
        assert!(
            tail[13..].iter().all(|&b| b == 0),
            "only the slice given is written"
        );
    }
}
