// chanbench: the Go side of `make bench` for chapter 5. The same four
// workloads as the kernel's channel benchmarks (ch05-channels/kernel/
// bench_chan.c), in Go, so that tools/bench.py can set each cubos figure
// beside Go's in the same run. Run it with GOMAXPROCS=1 and 2.
//
// Prints one line per benchmark: "go <name>: <ns> ns/op (<ops> ops)".
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

const (
	pingpongRounds = 200000
	bufferedMsgs   = 1000000
	bufferedCap    = 128
	selectRounds   = 200000
	selectCases    = 4
	sievePrimes    = 5000
)

func report(name string, d time.Duration, ops int) {
	fmt.Printf("go %s: %d ns/op (%d ops, GOMAXPROCS=%d)\n", name, d.Nanoseconds()/int64(ops), ops,
		runtime.GOMAXPROCS(0))
}

// A value passed back and forth over two unbuffered channels: one op is
// one round trip.
func pingpong() {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	start := time.Now()
	v := 0
	for i := 0; i < pingpongRounds; i++ {
		ping <- v
		v = <-pong
	}
	report("chan pingpong", time.Since(start), pingpongRounds)
	close(ping)
}

// One sender, one receiver, a channel of capacity 128: one op is one
// message through it.
func buffered() {
	c := make(chan int, bufferedCap)
	done := make(chan int)
	go func() {
		sum := 0
		for v := range c {
			sum += v
		}
		done <- sum
	}()
	start := time.Now()
	for i := 0; i < bufferedMsgs; i++ {
		c <- i
	}
	close(c)
	<-done
	report("chan buffered", time.Since(start), bufferedMsgs)
}

// A receiver selecting over four buffered channels that one sender feeds
// in turn: one op is one select.
func select4() {
	var cs [selectCases]chan int
	for i := range cs {
		cs[i] = make(chan int, bufferedCap)
	}
	go func() {
		for i := 0; i < selectRounds; i++ {
			cs[i%selectCases] <- i
		}
	}()
	start := time.Now()
	for i := 0; i < selectRounds; i++ {
		select {
		case <-cs[0]:
		case <-cs[1]:
		case <-cs[2]:
		case <-cs[3]:
		}
	}
	report("select 4", time.Since(start), selectRounds)
}

func generate(out chan<- int) {
	for i := 2; ; i++ {
		out <- i
	}
}

func filter(in <-chan int, out chan<- int, prime int) {
	for {
		if v := <-in; v%prime != 0 {
			out <- v
		}
	}
}

// The concurrent prime sieve, a goroutine per prime: one op is the whole
// sieve.
func sieve() {
	start := time.Now()
	c := make(chan int)
	go generate(c)
	last := 0
	for i := 0; i < sievePrimes; i++ {
		last = <-c
		next := make(chan int)
		go filter(c, next, last)
		c = next
	}
	if last != 48611 {
		fmt.Fprintf(os.Stderr, "chanbench: the 5000th prime came out as %d\n", last)
		os.Exit(1)
	}
	report("primes 5000", time.Since(start), 1)
}

func main() {
	pingpong()
	buffered()
	select4()
	sieve()
}
