//! A function's asynchronous invocations: each call's record from its acceptance to its end,
//! and the filtered, paged view ListAsyncInvocations answers from them.

use std::{
    collections::VecDeque,
    sync::{Mutex, MutexGuard, PoisonError},
    time::SystemTime,
};

use crate::dates;

/// The most records a function keeps; past it the oldest go. A bound of ours, so a caller
/// invoking in a loop cannot grow fgref without limit (FunctionGraph documents none).
pub(crate) const MAX_RECORDS: usize = 10_000;

/// Where an asynchronous call stands, as ListAsyncInvocations names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Wait,
    Running,
    Success,
    Fail,
    /// Documented, but fgref never discards a call; only a filter can name it.
    Discard,
}

impl Status {
    pub(crate) const ALL: [Status; 5] = [
        Status::Wait,
        Status::Running,
        Status::Success,
        Status::Fail,
        Status::Discard,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Wait => "WAIT",
            Self::Running => "RUNNING",
            Self::Success => "SUCCESS",
            Self::Fail => "FAIL",
            Self::Discard => "DISCARD",
        }
    }

    /// The status `name` spells exactly (FunctionGraph's names are upper case).
    pub(crate) fn parse(name: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One asynchronous call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub request_id: String,
    pub status: Status,
    /// 0 unless the call failed.
    pub error_code: i64,
    /// Empty unless the call failed.
    pub error_message: String,
    pub start_time: SystemTime,
    /// When the call ended; `None` while it waits or runs.
    pub end_time: Option<SystemTime>,
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ended {
    Success,
    Fail { code: i64, message: String },
}

/// Which records a listing takes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    pub request_id: Option<String>,
    pub status: Option<Status>,
    /// Seconds since the Unix epoch: a record is taken when its start, to the second, lies
    /// within `begin..=end`.
    pub begin: i64,
    pub end: i64,
}

impl Filter {
    fn takes(&self, record: &Record) -> bool {
        let started = dates::epoch_seconds(record.start_time);
        self.request_id
            .as_ref()
            .is_none_or(|id| *id == record.request_id)
            && self.status.is_none_or(|s| s == record.status)
            && (self.begin..=self.end).contains(&started)
    }
}

/// A page of a listing.
#[derive(Debug, PartialEq)]
pub(crate) struct Page {
    pub records: Vec<Record>,
    /// How many records the filter takes, over every page.
    pub count: u64,
}

/// A function's asynchronous calls, in the order they were accepted.
#[derive(Default)]
pub(crate) struct AsyncCalls {
    records: Mutex<VecDeque<Record>>,
}

impl AsyncCalls {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Record>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a call accepted `at`, waiting to run; drops the oldest record past
    /// [`MAX_RECORDS`].
    pub(crate) fn accept(&self, request_id: String, at: SystemTime) {
        let mut records = self.lock();
        records.push_back(Record {
            request_id,
            status: Status::Wait,
            error_code: 0,
            error_message: String::new(),
            start_time: at,
            end_time: None,
        });
        while records.len() > MAX_RECORDS {
            records.pop_front();
        }
    }

    /// The call is running now.
    pub(crate) fn start(&self, request_id: &str) {
        self.update(request_id, |record| record.status = Status::Running);
    }

    /// The call ended `at`.
    pub(crate) fn end(&self, request_id: &str, ended: Ended, at: SystemTime) {
        self.update(request_id, |record| {
            match ended {
                Ended::Success => record.status = Status::Success,
                Ended::Fail { code, message } => {
                    record.status = Status::Fail;
                    record.error_code = code;
                    record.error_message = message;
                }
            }
            record.end_time = Some(at);
        });
    }

    /// Changes the record of `request_id`; one dropped meanwhile stays dropped.
    fn update(&self, request_id: &str, change: impl FnOnce(&mut Record)) {
        let mut records = self.lock();
        // From the newest: a call's record is near the end while it runs.
        if let Some(record) = records
            .iter_mut()
            .rev()
            .find(|r| r.request_id == request_id)
        {
            change(record);
        }
    }

    /// The records `filter` takes, oldest first, `limit` of them after skipping `marker`.
    pub(crate) fn list(&self, filter: &Filter, marker: u64, limit: u64) -> Page {
        let records = self.lock();
        let taken = records.iter().filter(|r| filter.takes(r));
        let count = taken.clone().count() as u64;
        let records = taken
            .skip(usize::try_from(marker).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Page { records, count }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn all() -> Filter {
        Filter {
            request_id: None,
            status: None,
            begin: 0,
            end: i64::MAX,
        }
    }

    fn ids(page: &Page) -> Vec<&str> {
        page.records.iter().map(|r| r.request_id.as_str()).collect()
    }

    #[test]
    fn a_record_waits_runs_and_ends() {
        let calls = AsyncCalls::default();
        calls.accept("a".into(), at(100));
        calls.accept("b".into(), at(101));
        let first = &calls.list(&all(), 0, 10).records[0];
        assert_eq!(
            (first.status, first.error_code, first.end_time),
            (Status::Wait, 0, None)
        );
        calls.start("a");
        calls.start("b");
        calls.end("a", Ended::Success, at(102));
        let failure = Ended::Fail {
            code: 4002,
            message: "boom".into(),
        };
        calls.end("b", failure, at(103));
        calls.end("gone", Ended::Success, at(104));
        let page = calls.list(&all(), 0, 10);
        assert_eq!(page.count, 2);
        let [a, b] = &page.records[..] else {
            panic!("{page:?}")
        };
        assert_eq!(
            (a.status, a.error_code, a.end_time),
            (Status::Success, 0, Some(at(102)))
        );
        assert_eq!(a.error_message, "");
        assert_eq!((b.status, b.error_code), (Status::Fail, 4002));
        assert_eq!(
            (b.error_message.as_str(), b.end_time),
            ("boom", Some(at(103)))
        );
    }

    #[test]
    fn listings_filter_then_page_in_acceptance_order() {
        let calls = AsyncCalls::default();
        for (i, id) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            calls.accept(id.into(), at(100 + i as u64));
        }
        calls.start("b");
        calls.start("d");
        let page = calls.list(&all(), 1, 2);
        assert_eq!((ids(&page), page.count), (vec!["b", "c"], 5));
        let page = calls.list(&all(), 4, 100);
        assert_eq!((ids(&page), page.count), (vec!["e"], 5));
        assert_eq!(calls.list(&all(), 9, 100).records, []);

        let running = Filter {
            status: Some(Status::Running),
            ..all()
        };
        let page = calls.list(&running, 0, 100);
        assert_eq!((ids(&page), page.count), (vec!["b", "d"], 2));
        let one = Filter {
            request_id: Some("c".into()),
            ..all()
        };
        assert_eq!(ids(&calls.list(&one, 0, 100)), ["c"]);
        // Both ends of the window count, to the second.
        let window = Filter {
            begin: 101,
            end: 103,
            ..all()
        };
        let page = calls.list(&window, 0, 100);
        assert_eq!((ids(&page), page.count), (vec!["b", "c", "d"], 3));
    }

    #[test]
    fn the_oldest_records_go_past_the_bound() {
        let calls = AsyncCalls::default();
        for i in 0..MAX_RECORDS + 2 {
            calls.accept(format!("r{i}"), at(100));
        }
        let page = calls.list(&all(), 0, 1);
        assert_eq!(page.count, MAX_RECORDS as u64);
        assert_eq!(ids(&page), ["r2"]);
    }

    #[test]
    fn statuses_parse_only_as_documented() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        for bad in ["", "wait", "Success", "DONE", "FAIL "] {
            assert_eq!(Status::parse(bad), None, "{bad}");
        }
    }
}
