//! One instance's telemetry outbox: the events it produced, its subscription, and delivering the
//! subscribed streams to the subscriber as one POST per flush.

use std::{
    net::SocketAddr,
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use axum::body::Bytes;
use serde_json::Value;

use super::{network::Network, outbound};
use crate::{
    fault::{Faults, TelemetryFault},
    telemetry::Stream,
};

/// How long one delivery may take before the platform gives up on it (**fgref**: the page says
/// nothing of retries or timeouts).
const DELIVERY_LIMIT: Duration = Duration::from_secs(2);

/// Events kept while nobody subscribed or a delivery is due; older ones are dropped past this.
const MAX_PENDING: usize = 10_000;

/// A subscriber, as `POST /telemetry` named it.
#[derive(Debug, Clone)]
pub(crate) struct Subscriber {
    pub addr: SocketAddr,
    pub path: String,
    pub streams: Vec<Stream>,
}

pub(crate) struct Outbox {
    network: Network,
    fault: Faults,
    state: Mutex<State>,
    /// Deliveries go out one at a time, so the subscriber sees events in order.
    delivering: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    subscriber: Option<Subscriber>,
    pending: Vec<Value>,
    /// With [`TelemetryFault::EventsDeliveredAfterNextCall`]: the last call's events.
    held: Vec<Value>,
}

impl Outbox {
    pub(crate) fn new(network: Network, fault: Faults) -> Self {
        Self {
            network,
            fault,
            state: Mutex::default(),
            delivering: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `subscriber` as the instance's one subscription and answers true; answers false,
    /// changing nothing, when it has one already, unless `or_replace`. One look under one lock:
    /// two extensions subscribing at the same moment must not both find none.
    pub(crate) fn subscribe_first(&self, subscriber: Subscriber, or_replace: bool) -> bool {
        let mut state = self.state();
        if state.subscriber.is_some() && !or_replace {
            return false;
        }
        state.subscriber = Some(subscriber);
        true
    }

    pub(crate) fn emit(&self, events: impl IntoIterator<Item = Value>) {
        let mut state = self.state();
        state.pending.extend(events);
        let excess = state.pending.len().saturating_sub(MAX_PENDING);
        state.pending.drain(..excess);
    }

    /// Delivers `events` at once, beside whatever is pending; kept pending instead while
    /// nobody subscribed (or, broken on purpose, until the next call).
    pub(crate) async fn deliver_now(&self, events: Vec<Value>) {
        let _turn = self.delivering.lock().await;
        let subscriber = {
            let mut state = self.state();
            let holding = self.fault.has(TelemetryFault::EventsDeliveredAfterNextCall);
            match state.subscriber.clone() {
                Some(subscriber) if !holding => subscriber,
                _ => {
                    state.pending.extend(events);
                    return;
                }
            }
        };
        self.post(&subscriber, events).await;
    }

    /// Delivers every pending event of a subscribed stream; returns once the subscriber
    /// answered, or failed to within [`DELIVERY_LIMIT`]. Without a subscription events stay
    /// pending for the one that may come.
    pub(crate) async fn flush(&self) {
        let _turn = self.delivering.lock().await;
        let (subscriber, batch) = {
            let mut state = self.state();
            let Some(subscriber) = state.subscriber.clone() else {
                return;
            };
            let mut batch = std::mem::take(&mut state.pending);
            if self.fault.has(TelemetryFault::EventsDeliveredAfterNextCall) {
                batch = std::mem::replace(&mut state.held, batch);
            }
            (subscriber, batch)
        };
        self.post(&subscriber, batch).await;
    }

    /// POSTs the events of `batch` the subscriber asked for, if any.
    async fn post(&self, subscriber: &Subscriber, mut batch: Vec<Value>) {
        batch.retain(|event| {
            Stream::of(event).is_some_and(|stream| subscriber.streams.contains(&stream))
        });
        if batch.is_empty() {
            return;
        }
        let body = Bytes::from(serde_json::to_vec(&batch).unwrap_or_default());
        // A subscriber that is gone or slow loses this batch; the call is answered anyway.
        let _ = outbound::post_json(
            &self.network,
            subscriber.addr,
            &subscriber.path,
            body,
            DELIVERY_LIMIT,
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(port: u16) -> Subscriber {
        Subscriber {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            path: "/".to_owned(),
            streams: vec![Stream::Platform],
        }
    }

    #[test]
    fn of_subscriptions_at_the_same_moment_exactly_one_is_taken() {
        for _ in 0..200 {
            let outbox = Outbox::new(Network::Host, Faults::default());
            let start = std::sync::Barrier::new(8);
            let taken = std::thread::scope(|scope| {
                let racers: Vec<_> = (0..8)
                    .map(|i| {
                        let (outbox, start) = (&outbox, &start);
                        scope.spawn(move || {
                            start.wait();
                            outbox.subscribe_first(listener(8081 + i), false)
                        })
                    })
                    .collect();
                racers
                    .into_iter()
                    .map(|racer| racer.join().unwrap())
                    .filter(|&taken| taken)
                    .count()
            });
            assert_eq!(taken, 1);
        }
    }

    #[test]
    fn a_second_subscription_is_refused_unless_replacing_is_asked_for() {
        let outbox = Outbox::new(Network::Host, Faults::default());
        assert!(outbox.subscribe_first(listener(8081), false));
        assert!(!outbox.subscribe_first(listener(8082), false));
        assert!(outbox.subscribe_first(listener(8083), true));
    }
}
