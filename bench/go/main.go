// bench/go/main.go - Go channels in crossbeam-channel's benchmark workloads.
//
// Method: the same workloads, message size and timing as bench/cpp/workloads.hpp (see
// docs/benchmark-workloads.md): 8-byte messages (int on 64-bit), 4 goroutines per side,
// wall time of the whole workload including channel creation and goroutine start/finish. One case
// per process: `go_chan CASE [--messages N] [--threads T]`; output `CASE  go_chan  0.512 sec`.
// Goroutines run on GOMAXPROCS OS threads (the default: one per CPU), so a blocked goroutine
// hands off inside Go's scheduler instead of parking an OS thread.
//
// Flavors: bounded0 = make(chan int) (rendezvous), bounded1 = make(chan int, 1), bounded =
// make(chan int, N) with N = all messages. Go has no unbounded channel: those cases print n/a.
// select_rx and select_both use a static select statement over the 4 channels (the suite's
// thread count); with another thread count they fall back to reflect.Select.
// Every producer sends distinct values and the receivers' sum is checked.
package main

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const implementation = "go_chan"

func shareOf(total, participants, index int) int {
	share := total / participants
	if index < total%participants {
		share++
	}
	return share
}

func firstValueOf(total, participants, index int) int {
	first := 0
	for earlier := 0; earlier < index; earlier++ {
		first += shareOf(total, participants, earlier)
	}
	return first
}

func checkSum(sum int64, total int) {
	expected := int64(total) * int64(total-1) / 2
	if sum != expected {
		fmt.Fprintln(os.Stderr, "benchmark failure: received values do not add up")
		os.Exit(2)
	}
}

func capacityOf(flavor string, messages int) int {
	switch flavor {
	case "bounded0":
		return 0
	case "bounded1":
		return 1
	default:
		return messages
	}
}

func seq(capacity, messages int) {
	channel := make(chan int, capacity)
	for value := 0; value < messages; value++ {
		channel <- value
	}
	var sum int64
	for received := 0; received < messages; received++ {
		sum += int64(<-channel)
	}
	checkSum(sum, messages)
}

func startProducers(channel chan int, messages, producers int, done *sync.WaitGroup) {
	for producer := 0; producer < producers; producer++ {
		done.Add(1)
		go func(producer int) {
			defer done.Done()
			first := firstValueOf(messages, producers, producer)
			for value := first; value < first+shareOf(messages, producers, producer); value++ {
				channel <- value
			}
		}(producer)
	}
}

// producersToMain: `producers` goroutines send, the main goroutine receives everything.
func producersToMain(capacity, messages, producers int) {
	channel := make(chan int, capacity)
	var done sync.WaitGroup
	startProducers(channel, messages, producers, &done)
	var sum int64
	for received := 0; received < messages; received++ {
		sum += int64(<-channel)
	}
	done.Wait()
	checkSum(sum, messages)
}

func mpmc(capacity, messages, threads int) {
	channel := make(chan int, capacity)
	var done sync.WaitGroup
	startProducers(channel, messages, threads, &done)
	var total int64
	for consumer := 0; consumer < threads; consumer++ {
		done.Add(1)
		go func(consumer int) {
			defer done.Done()
			var sum int64
			for received := 0; received < shareOf(messages, threads, consumer); received++ {
				sum += int64(<-channel)
			}
			atomic.AddInt64(&total, sum)
		}(consumer)
	}
	done.Wait()
	checkSum(total, messages)
}

// selectReceive receives one message from whichever channel is ready.
func selectReceive(channels []chan int, cases []reflect.SelectCase) int {
	if len(channels) == 4 {
		select {
		case value := <-channels[0]:
			return value
		case value := <-channels[1]:
			return value
		case value := <-channels[2]:
			return value
		case value := <-channels[3]:
			return value
		}
	}
	_, value, _ := reflect.Select(cases)
	return int(value.Int())
}

// selectSend sends `value` on whichever channel is ready.
func selectSend(channels []chan int, value int) {
	if len(channels) == 4 {
		select {
		case channels[0] <- value:
		case channels[1] <- value:
		case channels[2] <- value:
		case channels[3] <- value:
		}
		return
	}
	cases := make([]reflect.SelectCase, len(channels))
	for index, channel := range channels {
		cases[index] = reflect.SelectCase{Dir: reflect.SelectSend, Chan: reflect.ValueOf(channel), Send: reflect.ValueOf(value)}
	}
	reflect.Select(cases)
}

func makeChannels(capacity, count int) ([]chan int, []reflect.SelectCase) {
	channels := make([]chan int, count)
	cases := make([]reflect.SelectCase, count)
	for index := range channels {
		channels[index] = make(chan int, capacity)
		cases[index] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(channels[index])}
	}
	return channels, cases
}

func selectRx(capacity, messages, threads int) {
	channels, cases := makeChannels(capacity, threads)
	var done sync.WaitGroup
	for producer := 0; producer < threads; producer++ {
		startProducers(channels[producer], shareOf(messages, threads, producer), 1, &done)
	}
	// Producer p sends 0..share(p)-1 here, so the checked total is the sum over producers.
	var sum int64
	for received := 0; received < messages; received++ {
		sum += int64(selectReceive(channels, cases))
	}
	done.Wait()
	var expected int64
	for producer := 0; producer < threads; producer++ {
		share := int64(shareOf(messages, threads, producer))
		expected += share * (share - 1) / 2
	}
	if sum != expected {
		fmt.Fprintln(os.Stderr, "benchmark failure: received values do not add up")
		os.Exit(2)
	}
}

func selectBoth(capacity, messages, threads int) {
	channels, cases := makeChannels(capacity, threads)
	var done sync.WaitGroup
	for producer := 0; producer < threads; producer++ {
		done.Add(1)
		go func(producer int) {
			defer done.Done()
			first := firstValueOf(messages, threads, producer)
			for value := first; value < first+shareOf(messages, threads, producer); value++ {
				selectSend(channels, value)
			}
		}(producer)
	}
	var total int64
	for consumer := 0; consumer < threads; consumer++ {
		done.Add(1)
		go func(consumer int) {
			defer done.Done()
			var sum int64
			for received := 0; received < shareOf(messages, threads, consumer); received++ {
				sum += int64(selectReceive(channels, cases))
			}
			atomic.AddInt64(&total, sum)
		}(consumer)
	}
	done.Wait()
	checkSum(total, messages)
}

// pingPong: two unbuffered channels, roundTrips round trips between two goroutines (the coroutine
// benchmark's pingpong, bench/cpp/async_bench.cpp).
func pingPong(roundTrips int) {
	there := make(chan int)
	back := make(chan int)
	go func() {
		for i := 0; i < roundTrips; i++ {
			back <- <-there
		}
	}()
	for i := 0; i < roundTrips; i++ {
		there <- i
		if <-back != i {
			fmt.Fprintln(os.Stderr, "benchmark failure: pingpong returned another value")
			os.Exit(2)
		}
	}
}

var flavors = []string{"bounded0", "bounded1", "bounded", "unbounded"}
var workloads = []string{"seq", "spsc", "mpsc", "mpmc", "select_rx", "select_both"}

func main() {
	messages := flag.Int("messages", 5000000, "messages per case")
	threads := flag.Int("threads", 4, "threads (goroutines) per side")
	flag.Parse()
	if flag.NArg() != 1 || flag.Arg(0) == "list" {
		for _, flavor := range flavors {
			for _, workload := range workloads {
				if workload != "seq" || flavor == "bounded" || flavor == "unbounded" {
					fmt.Printf("%s_%s\n", flavor, workload)
				}
			}
		}
		return
	}
	caseName := flag.Arg(0)
	if caseName == "pingpong" {
		start := time.Now()
		pingPong(*messages)
		fmt.Printf("%s  %s  %.3f sec\n", caseName, implementation, time.Since(start).Seconds())
		return
	}
	var flavor, workload string
	for _, candidateFlavor := range flavors {
		for _, candidateWorkload := range workloads {
			if caseName == candidateFlavor+"_"+candidateWorkload {
				flavor, workload = candidateFlavor, candidateWorkload
			}
		}
	}
	if flavor == "" {
		fmt.Fprintln(os.Stderr, "unknown case", caseName)
		os.Exit(2)
	}
	name := caseName
	if *threads != 4 {
		name = fmt.Sprintf("%s_x%d", caseName, *threads)
	}
	if workload == "seq" && strings.HasPrefix(flavor, "bounded") && flavor != "bounded" {
		fmt.Printf("%s  %s  n/a (seq needs a channel that holds every message)\n", name, implementation)
		return
	}
	if flavor == "unbounded" {
		fmt.Printf("%s  %s  n/a (Go has no unbounded channel)\n", name, implementation)
		return
	}
	capacity := capacityOf(flavor, *messages)
	start := time.Now()
	switch workload {
	case "seq":
		seq(capacity, *messages)
	case "spsc":
		producersToMain(capacity, *messages, 1)
	case "mpsc":
		producersToMain(capacity, *messages, *threads)
	case "mpmc":
		mpmc(capacity, *messages, *threads)
	case "select_rx":
		selectRx(capacity, *messages, *threads)
	case "select_both":
		selectBoth(capacity, *messages, *threads)
	}
	fmt.Printf("%s  %s  %.3f sec\n", name, implementation, time.Since(start).Seconds())
}
