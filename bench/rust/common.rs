// bench/rust/common.rs - the workloads of the crossbeam-channel and flume programs
// (crossbeam_bench.rs, flume_bench.rs), included by each with `#[path = "common.rs"] mod common;`.
//
// Method: the same workloads, message size and timing as bench/cpp/workloads.hpp and
// bench/rust/std_mpsc.rs (see docs/benchmark-workloads.md): 8-byte messages (usize), `threads`
// worker threads per side (4 unless --threads says otherwise), wall time of the whole workload
// including channel creation, thread spawn/join and channel drop. One case per process:
// `PROGRAM CASE [--messages N] [--threads T] [--run-unsupported]`; output one line, `CASE  IMPLEMENTATION  0.512 sec`
// (`CASE_xT` when T is not 4, as the other programs do), or `CASE  IMPLEMENTATION  n/a (reason)`
// for a case the implementation cannot run (`--run-unsupported` runs it anyway).
//
// Every producer sends distinct values (producer p sends its share of 0..messages-1) and the
// receivers' sum is checked, so a lost or duplicated message fails the run (exit 2) instead of
// producing a fast number. Consumers receive an exact count, as in crossbeam's benchmark. The
// main thread keeps its own handles to every channel until the workload ends (as crossbeam's
// benchmark and the C++ programs do): a channel whose producer has finished stays connected, so a
// select never picks it as disconnected.
//
// The select workloads build a fresh selector for every message, as crossbeam's benchmark
// (benchmarks/crossbeam-channel.rs) and bench/cpp/rill_bench.cpp do, so the figure includes
// registering the operations:
//   select_rx    `threads` channels, one producer each sending its share; the main thread receives
//                everything, each receive selecting over all the receivers.
//   select_both  `threads` channels; `threads` producers each send their share, each send
//                selecting over all the senders; `threads` consumers each receive their share,
//                each receive selecting over all the receivers.

use std::thread;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavor {
    /// capacity 0: a rendezvous
    Bounded0,
    /// capacity 1
    Bounded1,
    /// capacity = every message of the case
    Bounded,
    Unbounded,
}

/// One channel implementation: blocking send and receive on cloneable handles, and one message
/// sent or received through that implementation's select over several channels.
pub trait Peer {
    const NAME: &'static str;
    type Sender: Clone + Send + 'static;
    type Receiver: Clone + Send + 'static;

    fn make(flavor: Flavor, messages: usize) -> (Self::Sender, Self::Receiver);
    fn send(sender: &Self::Sender, value: usize);
    fn recv(receiver: &Self::Receiver) -> usize;
    /// Receives one message from whichever of `receivers` is ready (a fresh selector).
    fn select_recv(receivers: &[Self::Receiver]) -> usize;
    /// Sends `value` on whichever of `senders` is ready (a fresh selector).
    fn select_send(senders: &[Self::Sender], value: usize);
    /// Why this implementation cannot run a case (printed as n/a), if it cannot.
    fn unsupported(_flavor: Flavor, _workload: &str) -> Option<&'static str> {
        None
    }
}

pub fn capacity_of(flavor: Flavor, messages: usize) -> usize {
    match flavor {
        Flavor::Bounded0 => 0,
        Flavor::Bounded1 => 1,
        Flavor::Bounded | Flavor::Unbounded => messages,
    }
}

pub fn fail(what: &str) -> ! {
    eprintln!("benchmark failure: {}", what);
    std::process::exit(2);
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
        fail("received values do not add up: a message was lost or duplicated");
    }
}

/// The values producer `index` of `producers` sends.
fn values_of(messages: usize, producers: usize, index: usize) -> std::ops::Range<usize> {
    let first = first_value_of(messages, producers, index);
    first..first + share_of(messages, producers, index)
}

fn seq<P: Peer>(flavor: Flavor, messages: usize) {
    let (sender, receiver) = P::make(flavor, messages);
    for value in 0..messages {
        P::send(&sender, value);
    }
    let mut sum = 0usize;
    for _ in 0..messages {
        sum += P::recv(&receiver);
    }
    check_sum(sum, messages);
}

/// `producers` threads send a share each; `consumers` threads (0: the main thread) receive.
fn producers_consumers<P: Peer>(flavor: Flavor, messages: usize, producers: usize, consumers: usize) {
    let (sender, receiver) = P::make(flavor, messages);
    let mut handles: Vec<thread::JoinHandle<usize>> = (0..producers)
        .map(|producer| {
            let sender = sender.clone();
            thread::spawn(move || {
                for value in values_of(messages, producers, producer) {
                    P::send(&sender, value);
                }
                0
            })
        })
        .collect();
    let mut sum = 0usize;
    if consumers == 0 {
        for _ in 0..messages {
            sum += P::recv(&receiver);
        }
    } else {
        for consumer in 0..consumers {
            let receiver = receiver.clone();
            handles.push(thread::spawn(move || {
                let mut sum = 0usize;
                for _ in 0..share_of(messages, consumers, consumer) {
                    sum += P::recv(&receiver);
                }
                sum
            }));
        }
    }
    for handle in handles {
        sum += handle.join().unwrap_or_else(|_| fail("a thread panicked"));
    }
    check_sum(sum, messages);
}

fn make_channels<P: Peer>(flavor: Flavor, messages: usize, count: usize) -> (Vec<P::Sender>, Vec<P::Receiver>) {
    (0..count).map(|_| P::make(flavor, messages)).unzip()
}

fn select_rx<P: Peer>(flavor: Flavor, messages: usize, threads: usize) {
    let (senders, receivers) = make_channels::<P>(flavor, messages, threads);
    let handles: Vec<_> = senders
        .iter()
        .enumerate()
        .map(|(producer, sender)| {
            let sender = sender.clone();
            thread::spawn(move || {
                for value in values_of(messages, threads, producer) {
                    P::send(&sender, value);
                }
            })
        })
        .collect();
    let mut sum = 0usize;
    for _ in 0..messages {
        sum += P::select_recv(&receivers);
    }
    for handle in handles {
        handle.join().unwrap_or_else(|_| fail("a thread panicked"));
    }
    check_sum(sum, messages);
}

fn select_both<P: Peer>(flavor: Flavor, messages: usize, threads: usize) {
    let (senders, receivers) = make_channels::<P>(flavor, messages, threads);
    let mut handles: Vec<thread::JoinHandle<usize>> = (0..threads)
        .map(|producer| {
            let senders = senders.clone();
            thread::spawn(move || {
                for value in values_of(messages, threads, producer) {
                    P::select_send(&senders, value);
                }
                0
            })
        })
        .collect();
    for consumer in 0..threads {
        let receivers = receivers.clone();
        handles.push(thread::spawn(move || {
            let mut sum = 0usize;
            for _ in 0..share_of(messages, threads, consumer) {
                sum += P::select_recv(&receivers);
            }
            sum
        }));
    }
    let sum = handles.into_iter().map(|handle| handle.join().unwrap_or_else(|_| fail("a thread panicked"))).sum();
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
const DEFAULT_THREADS: usize = 4;

/// The command line: parses the arguments, runs one case and prints its line.
pub fn run_main<P: Peer>() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut case_name = String::new();
    let mut messages = 5_000_000usize;
    let mut threads = DEFAULT_THREADS;
    let mut run_unsupported = false;
    let mut index = 0;
    while index < arguments.len() {
        let number = |index: usize| -> usize {
            arguments
                .get(index)
                .and_then(|text| text.parse().ok())
                .filter(|&number| number > 0)
                .unwrap_or_else(|| fail(&format!("{} needs a positive number", arguments[index - 1])))
        };
        match arguments[index].as_str() {
            "--messages" => {
                index += 1;
                messages = number(index);
            }
            "--threads" => {
                index += 1;
                threads = number(index);
            }
            "--run-unsupported" => run_unsupported = true,
            "--list" => case_name = "--list".to_string(),
            other if other.starts_with("--") => fail(&format!("unknown option {}", other)),
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
        std::process::exit(if case_name.is_empty() { 1 } else { 0 });
    }
    let (flavor, workload) = WORKLOADS
        .iter()
        .find_map(|workload| {
            case_name
                .strip_suffix(workload)
                .and_then(|prefix| prefix.strip_suffix('_'))
                .and_then(parse_flavor)
                .map(|flavor| (flavor, *workload))
        })
        .unwrap_or_else(|| fail(&format!("unknown case {} (try --list)", case_name)));
    let name = if threads == DEFAULT_THREADS { case_name.clone() } else { format!("{}_x{}", case_name, threads) };
    if workload == "seq" && (flavor == Flavor::Bounded0 || flavor == Flavor::Bounded1) {
        println!("{}  {}  n/a (seq needs a channel that holds every message)", name, P::NAME);
        return;
    }
    if let Some(reason) = P::unsupported(flavor, workload).filter(|_| !run_unsupported) {
        println!("{}  {}  n/a ({})", name, P::NAME, reason);
        return;
    }
    let start = Instant::now();
    match workload {
        "seq" => seq::<P>(flavor, messages),
        "spsc" => producers_consumers::<P>(flavor, messages, 1, 0),
        "mpsc" => producers_consumers::<P>(flavor, messages, threads, 0),
        "mpmc" => producers_consumers::<P>(flavor, messages, threads, threads),
        "select_rx" => select_rx::<P>(flavor, messages, threads),
        "select_both" => select_both::<P>(flavor, messages, threads),
        _ => unreachable!(),
    }
    println!("{}  {}  {:.3} sec", name, P::NAME, start.elapsed().as_secs_f64());
}
