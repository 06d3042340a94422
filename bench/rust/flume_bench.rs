// bench/rust/flume_bench.rs - flume in crossbeam-channel's benchmark workloads.
//
// The workloads, the command line and the output are common.rs's (docs/benchmark-workloads.md);
// this file only says how flume expresses them. Built by bench/run with cargo, offline, from
// Debian's crate sources (librust-flume-dev, default features: async, select, eventual-fairness;
// bench/rust/Cargo.toml).
//
// Flavors: bounded0 = bounded(0) (rendezvous), bounded1 = bounded(1), bounded = bounded(N) with
// N = all messages of the case, unbounded = unbounded(). Senders and receivers are cloned for
// every thread (flume's receiver is cloneable: mpmc needs no lock around it).
// Select: flume::Selector, a fresh one per message: one recv (send) arm per channel, then wait().
// With the eventual-fairness feature (a default one) wait() picks a random ready arm.
//
// select_both prints n/a: when sends and receives both go through a Selector, flume 0.10.14
// loses a message or a wake-up, and a consumer then waits in Selector::wait forever, 0% CPU, after
// every producer has finished. Seen here with rustc 1.95 and Debian's 1.63 alike: with capacity 0
// or 1 every run (`flume_bench --threads 2 --messages 1000 bounded1_select_both`; with 4 threads
// at 20,000 messages, 6 of 6 runs), unbounded and bounded in 1 to 4 of 6 runs of 50,000 messages.
// select_rx (a Selector on the receiving side only) finished in every run. Upstream reports of
// Selector hangs and lost messages: flume issues #44 and #135. `--run-unsupported` runs it anyway.

#[path = "common.rs"]
mod common;

use common::{fail, Flavor, Peer};
use flume::{bounded, unbounded, Receiver, Selector, Sender};

struct Flume;

impl Peer for Flume {
    const NAME: &'static str = "flume";
    type Sender = Sender<usize>;
    type Receiver = Receiver<usize>;

    fn make(flavor: Flavor, messages: usize) -> (Sender<usize>, Receiver<usize>) {
        match flavor {
            Flavor::Unbounded => unbounded(),
            _ => bounded(common::capacity_of(flavor, messages)),
        }
    }

    fn send(sender: &Sender<usize>, value: usize) {
        if sender.send(value).is_err() {
            fail("flume: send failed");
        }
    }

    fn recv(receiver: &Receiver<usize>) -> usize {
        receiver.recv().unwrap_or_else(|_| fail("flume: recv failed"))
    }

    fn select_recv(receivers: &[Receiver<usize>]) -> usize {
        let mut selector = Selector::new();
        for receiver in receivers {
            selector = selector.recv(receiver, |received| received.ok());
        }
        selector.wait().unwrap_or_else(|| fail("flume select: recv failed"))
    }

    fn select_send(senders: &[Sender<usize>], value: usize) {
        let mut selector = Selector::new();
        for sender in senders {
            selector = selector.send(sender, value, |sent| sent.is_ok());
        }
        if !selector.wait() {
            fail("flume select: send failed");
        }
    }

    fn unsupported(_flavor: Flavor, workload: &str) -> Option<&'static str> {
        (workload == "select_both")
            .then_some("flume 0.10.14's Selector hangs when sends and receives both select: a consumer waits forever")
    }
}

fn main() {
    common::run_main::<Flume>();
}
