// sieve.go: the concurrent prime sieve, a Go program in user mode.
//
// Shows that an unmodified Go binary runs: the Go runtime starts its
// threads with clone(2), parks them with futex(2), maps its heap with
// mmap(2), and schedules goroutines itself on top. A generator goroutine
// sends 2, 3, 4, ... down a channel. Each prime found starts one filter
// goroutine that passes on only the numbers it does not divide, so the
// chain of filters grows by one per prime and the first number to reach
// its end is always the next prime.
//
// Usage: sieve [N]. Prints the first N primes (default 100), one a line,
// then "sieve: N primes"; status 0. Expected output of `sieve 5`:
//
//	2
//	3
//	5
//	7
//	11
//	sieve: 5 primes
package main

import (
	"fmt"
	"os"
	"strconv"
)

const defaultCount = 100

// generate sends 2, 3, 4, ... to out, forever.
func generate(out chan<- int) {
	for n := 2; ; n++ {
		out <- n
	}
}

// filter copies numbers from in to out, leaving out the multiples of prime.
func filter(in <-chan int, out chan<- int, prime int) {
	for {
		n := <-in
		if n%prime != 0 {
			out <- n
		}
	}
}

func main() {
	count := defaultCount
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "usage: sieve [N > 0]")
			os.Exit(2)
		}
		count = n
	}

	numbers := make(chan int)
	go generate(numbers)
	for i := 0; i < count; i++ {
		prime := <-numbers
		fmt.Println(prime)
		filtered := make(chan int)
		go filter(numbers, filtered, prime)
		numbers = filtered
	}
	fmt.Printf("sieve: %d primes\n", count)
}
