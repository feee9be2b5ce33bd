//! How many instances may live at once: each function's `max_instance_num` and the platform's
//! own cap. An instance holds a [`Slot`] of both for its whole life, idle or busy.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

/// A count of live instances under an optional limit.
#[derive(Debug)]
pub(crate) struct Quota {
    live: AtomicUsize,
    limit: Option<usize>,
}

impl Quota {
    /// `None`: unlimited.
    pub(crate) fn new(limit: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            live: AtomicUsize::new(0),
            limit,
        })
    }

    /// Counts one more instance, unless that would pass the limit.
    fn take(&self) -> bool {
        self.live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |live| {
                match self.limit {
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
            return Err(Full::Function(function.limit.unwrap_or(0)));
        }
        if !platform.take() {
            function.give_back();
            return Err(Full::Platform(platform.limit.unwrap_or(0)));
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
    }
}
