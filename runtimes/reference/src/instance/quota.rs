//! How many instances may live at once: each function's `max_instance_num` and the platform's
//! own cap. An instance holds a [`Slot`] of both for its whole life, idle or busy.

use std::sync::{
    Arc,
    atomic::{AtomicI64, AtomicUsize, Ordering},
};

/// A count of live instances under a limit that may change.
#[derive(Debug)]
pub(crate) struct Quota {
    live: AtomicUsize,
    /// Negative: unlimited.
    limit: AtomicI64,
}

impl Quota {
    /// `None`: unlimited.
    pub(crate) fn new(limit: Option<usize>) -> Arc<Self> {
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        Arc::new(Self {
            live: AtomicUsize::new(0),
            limit: AtomicI64::new(limit),
        })
    }

    /// The limit as `max_instance_num` says it: -1 unlimited.
    pub(crate) fn limit(&self) -> i64 {
        self.limit.load(Ordering::Acquire).max(-1)
    }

    /// A new limit for the instances started from now on (-1 unlimited); those already
    /// running keep running.
    pub(crate) fn set_limit(&self, limit: i64) {
        self.limit.store(limit, Ordering::Release);
    }

    fn bound(&self) -> Option<usize> {
        usize::try_from(self.limit.load(Ordering::Acquire)).ok()
    }

    /// Counts one more instance, unless that would pass the limit.
    fn take(&self) -> bool {
        self.live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |live| {
                match self.bound() {
                    Some(limit) if live >= limit => None,
                    _ => Some(live + 1),
                }
            })
            .is_ok()
    }

    fn give_back(&self) {
        self.live.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Which limit refused an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// The function's `max_instance_num` (0: the function is disabled).
    Function(usize),
    /// The platform's cap on live instances.
    Platform(usize),
}

/// One instance's place in its function's quota and the platform's; given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    function: Arc<Quota>,
    platform: Arc<Quota>,
}

impl Slot {
    /// Takes a place in both quotas, or none.
    pub(crate) fn reserve(function: &Arc<Quota>, platform: &Arc<Quota>) -> Result<Slot, Full> {
        if !function.take() {
            return Err(Full::Function(function.bound().unwrap_or(0)));
        }
        if !platform.take() {
            function.give_back();
            return Err(Full::Platform(platform.bound().unwrap_or(0)));
        }
        Ok(Slot {
            function: Arc::clone(function),
            platform: Arc::clone(platform),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.function.give_back();
        self.platform.give_back();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_against_both_limits_and_come_back_when_dropped() {
        let platform = Quota::new(Some(3));
        let one = Quota::new(Some(2));
        let other = Quota::new(None);
        let a = Slot::reserve(&one, &platform).unwrap();
        let _b = Slot::reserve(&one, &platform).unwrap();
        assert_eq!(
            Slot::reserve(&one, &platform).unwrap_err(),
            Full::Function(2)
        );
        let _c = Slot::reserve(&other, &platform).unwrap();
        assert_eq!(
            Slot::reserve(&other, &platform).unwrap_err(),
            Full::Platform(3)
        );
        // A refusal by the platform gave the function's place back.
        assert_eq!(other.live.load(Ordering::Acquire), 1);
        drop(a);
        assert!(Slot::reserve(&one, &platform).is_ok());
        let disabled = Quota::new(Some(0));
        assert_eq!(
            Slot::reserve(&disabled, &platform).unwrap_err(),
            Full::Function(0)
        );
        disabled.set_limit(-1);
        assert_eq!(disabled.limit(), -1);
        assert!(Slot::reserve(&disabled, &platform).is_ok());
    }
}
