// bench/rust/crossbeam_bench.rs - crossbeam-channel in crossbeam-channel's own benchmark workloads.
//
// The workloads, the command line and the output are common.rs's (docs/benchmark-workloads.md);
// this file only says how crossbeam-channel expresses them. Built by bench/run with cargo, offline,
// from Debian's crate sources (librust-crossbeam-channel-dev; bench/rust/Cargo.toml).
//
// Flavors: bounded0 = bounded(0) (rendezvous), bounded1 = bounded(1), bounded = bounded(N) with
// N = all messages of the case (each of the select cases' channels too, as in crossbeam's
// benchmark), unbounded = unbounded(). Senders and receivers are cloned for every thread.
// Select: crossbeam_channel::Select, a fresh one per message, as benchmarks/crossbeam-channel.rs
// does: add every receiver (sender), select(), then complete the selected operation.

#[path = "common.rs"]
mod common;

use common::{fail, Flavor, Peer};
use crossbeam_channel::{bounded, unbounded, Receiver, Select, Sender};

struct Crossbeam;

impl Peer for Crossbeam {
    const NAME: &'static str = "crossbeam";
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
            fail("crossbeam: send failed");
        }
    }

    fn recv(receiver: &Receiver<usize>) -> usize {
        receiver.recv().unwrap_or_else(|_| fail("crossbeam: recv failed"))
    }

    fn select_recv(receivers: &[Receiver<usize>]) -> usize {
        let mut select = Select::new();
        for receiver in receivers {
            select.recv(receiver);
        }
        let operation = select.select();
        let index = operation.index();
        operation.recv(&receivers[index]).unwrap_or_else(|_| fail("crossbeam select: recv failed"))
    }

    fn select_send(senders: &[Sender<usize>], value: usize) {
        let mut select = Select::new();
        for sender in senders {
            select.send(sender);
        }
        let operation = select.select();
        let index = operation.index();
        if operation.send(&senders[index], value).is_err() {
            fail("crossbeam select: send failed");
        }
    }
}

fn main() {
    common::run_main::<Crossbeam>();
}
