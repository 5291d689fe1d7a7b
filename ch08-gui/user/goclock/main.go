// goclock: Go's runtime services that need the kernel's help beyond
// threads: timers (time.Sleep, time.After, tickers) run on the runtime's
// network poller, which waits in epoll_pwait with a timeout and is woken
// through a pipe; reading a file goes through open, fstat and read. The
// output is the same on every run:
//
//	goclock: 5 ticks, at least 100ms: true
//	goclock: select timed out: true
//	goclock: hostname cubos
//	goclock: 4 goroutines slept in parallel: true
//
// (the hostname line prints what /etc/hostname holds).
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	start := time.Now()
	ticker := time.NewTicker(20 * time.Millisecond)
	for i := 0; i < 5; i++ {
		<-ticker.C
	}
	ticker.Stop()
	fmt.Printf("goclock: 5 ticks, at least 100ms: %v\n", time.Since(start) >= 100*time.Millisecond)

	never := make(chan int)
	select {
	case <-never:
		fmt.Println("goclock: select timed out: false")
	case <-time.After(50 * time.Millisecond):
		fmt.Println("goclock: select timed out: true")
	}

	name, err := os.ReadFile("/etc/hostname")
	if err != nil {
		fmt.Println("goclock:", err)
		os.Exit(1)
	}
	fmt.Printf("goclock: hostname %s\n", strings.TrimSpace(string(name)))

	// Four goroutines sleep 200ms each at once: about 200ms in all, not 800.
	start = time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(200 * time.Millisecond)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("goclock: 4 goroutines slept in parallel: %v\n", elapsed >= 200*time.Millisecond && elapsed < 600*time.Millisecond)
}
