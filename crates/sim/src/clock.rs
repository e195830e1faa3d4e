//! The simulator's clock: system time plus an adjustable offset, so tests can jump ahead (code expiry, PAR expiry,
//! the 8-hour cap) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// System time shifted by an offset in seconds. Shared by every part of the simulator.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// A clock with a starting offset (`[sim] clock_offset_secs`).
    pub fn with_offset(offset_secs: i64) -> Self {
        Self {
            offset: AtomicI64::new(offset_secs),
        }
    }

    /// Now, Unix seconds, including the offset.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.offset()
    }

    /// The current offset in seconds.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// Sets the offset in seconds (positive = the future).
    pub fn set_offset(&self, secs: i64) {
        self.offset.store(secs, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` seconds (or back, when negative).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_now() {
        let c = Clock::default();
        let before = c.now();
        c.advance(3600);
        assert!(c.now() >= before + 3600 && c.now() <= before + 3601);
        c.set_offset(-10);
        assert_eq!(c.offset(), -10);
    }
}
