// bench/rust/std_mpsc.rs - Rust's std::sync::mpsc in crossbeam-channel's benchmark workloads.
//
// Method: the same workloads, message size and timing as bench/cpp/workloads.hpp (see
// docs/benchmark-workloads.md): 8-byte messages (usize), 4 threads, wall time of the
// whole workload including channel creation, thread start/join and channel drop. One case per
// process: `std_mpsc CASE [--messages N] [--threads T]`; output `CASE  rust_std_mpsc  0.512 sec`.
// Built with `rustc -O --edition 2021`, standard library only.
//
// Flavors: bounded0 = sync_channel(0) (rendezvous), bounded1 = sync_channel(1), bounded =
// sync_channel(N) with N = all messages, unbounded = channel().
// std has no cloneable receiver: in mpmc the 4 consumers share the one Receiver behind a Mutex
// (each receive locks it). std has no select: the select cases print n/a.
// Every producer sends distinct values and the receivers' sum is checked, so a lost or duplicated
// message fails the run.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

const IMPLEMENTATION: &str = "rust_std_mpsc";

#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    Bounded0,
    Bounded1,
    Bounded,
    Unbounded,
}

/// Either kind of std sender, so that one workload function serves all flavors.
enum AnySender {
    Sync(SyncSender<usize>),
    Async(Sender<usize>),
}

impl Clone for AnySender {
    fn clone(&self) -> Self {
        match self {
            AnySender::Sync(sender) => AnySender::Sync(sender.clone()),
            AnySender::Async(sender) => AnySender::Async(sender.clone()),
        }
    }
}

impl AnySender {
    fn send(&self, value: usize) {
        let result = match self {
            AnySender::Sync(sender) => sender.send(value),
            AnySender::Async(sender) => sender.send(value),
        };
        result.expect("send failed");
    }
}

fn make(flavor: Flavor, messages: usize) -> (AnySender, Receiver<usize>) {
    match flavor {
        Flavor::Bounded0 => {
            let (sender, receiver) = sync_channel(0);
            (AnySender::Sync(sender), receiver)
        }
        Flavor::Bounded1 => {
            let (sender, receiver) = sync_channel(1);
            (AnySender::Sync(sender), receiver)
        }
        Flavor::Bounded => {
            let (sender, receiver) = sync_channel(messages);
            (AnySender::Sync(sender), receiver)
        }
        Flavor::Unbounded => {
            let (sender, receiver) = channel();
            (AnySender::Async(sender), receiver)
        }
    }
}

fn share_of(total: usize, participants: usize, index: usize) -> usize {
    total / participants + if index < total % participants { 1 } else { 0 }
}

fn first_value_of(total: usize, participants: usize, index: usize) -> usize {
    (0..index).map(|earlier| share_of(total, participants, earlier)).sum()
}

fn check_sum(sum: usize, total: usize) {
    let expected = if total == 0 { 0 } else { total * (total - 1) / 2 };
    if sum != expected {
        eprintln!("benchmark failure: received values do not add up");
        std::process::exit(2);
    }
}

fn spawn_producers(sender: &AnySender, messages: usize, producers: usize) -> Vec<thread::JoinHandle<()>> {
    (0..producers)
        .map(|producer| {
            let sender = sender.clone();
            thread::spawn(move || {
                let first = first_value_of(messages, producers, producer);
                for value in first..first + share_of(messages, producers, producer) {
                    sender.send(value);
                }
            })
        })
        .collect()
}

fn seq(flavor: Flavor, messages: usize) {
    let (sender, receiver) = make(flavor, messages);
    for value in 0..messages {
        sender.send(value);
    }
    let mut sum = 0usize;
    for _ in 0..messages {
        sum += receiver.recv().unwrap();
    }
    check_sum(sum, messages);
}

/// `producers` threads send; the main thread receives everything.
fn producers_to_main(flavor: Flavor, messages: usize, producers: usize) {
    let (sender, receiver) = make(flavor, messages);
    let handles = spawn_producers(&sender, messages, producers);
    let mut sum = 0usize;
    for _ in 0..messages {
        sum += receiver.recv().unwrap();
    }
    for handle in handles {
        handle.join().unwrap();
    }
    check_sum(sum, messages);
}

/// `threads` producers and `threads` consumers; the consumers share the receiver behind a Mutex.
fn mpmc(flavor: Flavor, messages: usize, threads: usize) {
    let (sender, receiver) = make(flavor, messages);
    let shared_receiver = Arc::new(Mutex::new(receiver));
    let mut handles = spawn_producers(&sender, messages, threads);
    let consumers: Vec<_> = (0..threads)
        .map(|consumer| {
            let receiver = Arc::clone(&shared_receiver);
            thread::spawn(move || {
                let mut sum = 0usize;
                for _ in 0..share_of(messages, threads, consumer) {
                    sum += receiver.lock().unwrap().recv().unwrap();
                }
                sum
            })
        })
        .collect();
    for handle in handles.drain(..) {
        handle.join().unwrap();
    }
    let sum: usize = consumers.into_iter().map(|handle| handle.join().unwrap()).sum();
    check_sum(sum, messages);
}

fn parse_flavor(text: &str) -> Option<Flavor> {
    match text {
        "bounded0" => Some(Flavor::Bounded0),
        "bounded1" => Some(Flavor::Bounded1),
        "bounded" => Some(Flavor::Bounded),
        "unbounded" => Some(Flavor::Unbounded),
        _ => None,
    }
}

const WORKLOADS: [&str; 6] = ["seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"];
const FLAVORS: [&str; 4] = ["bounded0", "bounded1", "bounded", "unbounded"];

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut case_name = String::new();
    let mut messages = 5_000_000usize;
    let mut threads = 4usize;
    let mut index = 0;
    while index < arguments.len() {
        match arguments[index].as_str() {
            "--messages" => {
                index += 1;
                messages = arguments[index].parse().expect("--messages N");
            }
            "--threads" => {
                index += 1;
                threads = arguments[index].parse().expect("--threads T");
            }
            other => case_name = other.to_string(),
        }
        index += 1;
    }
    if case_name.is_empty() || case_name == "--list" {
        for flavor in FLAVORS {
            for workload in WORKLOADS {
                if workload != "seq" || flavor == "bounded" || flavor == "unbounded" {
                    println!("{}_{}", flavor, workload);
                }
            }
        }
        return;
    }
    let (flavor_text, workload) = WORKLOADS
        .iter()
        .find_map(|workload| {
            case_name
                .strip_suffix(workload)
                .and_then(|prefix| prefix.strip_suffix('_'))
                .and_then(|flavor| parse_flavor(flavor).map(|_| (flavor.to_string(), *workload)))
        })
        .unwrap_or_else(|| {
            eprintln!("unknown case {}", case_name);
            std::process::exit(2);
        });
    let flavor = parse_flavor(&flavor_text).unwrap();
    let name = if threads == 4 { case_name.clone() } else { format!("{}_x{}", case_name, threads) };
    if workload == "seq" && (flavor == Flavor::Bounded0 || flavor == Flavor::Bounded1) {
        println!("{}  {}  n/a (seq needs a channel that holds every message)", name, IMPLEMENTATION);
        return;
    }
    if workload.starts_with("select") {
        println!("{}  {}  n/a (std::sync::mpsc has no select)", name, IMPLEMENTATION);
        return;
    }
    let start = Instant::now();
    match workload {
        "seq" => seq(flavor, messages),
        "spsc" => producers_to_main(flavor, messages, 1),
        "mpsc" => producers_to_main(flavor, messages, threads),
        "mpmc" => mpmc(flavor, messages, threads),
        _ => unreachable!(),
    }
    println!("{}  {}  {:.3} sec", name, IMPLEMENTATION, start.elapsed().as_secs_f64());
}
