// gohttpd: an ordinary Go net/http server, built with Debian's Go
// (CGO_ENABLED=0, static) and run unmodified on cubos. Go's runtime
// drives the sockets the way it does on Linux: non-blocking descriptors
// (socket with SOCK_NONBLOCK, accept4), one edge-triggered epoll set for
// all of them, and connect's completion read with getsockopt(SO_ERROR).
//
//	gohttpd [-addr :8080] [-get URL]
//
// Served: / (a greeting with the runtime's view of the machine), /bytes?n=N
// (N deterministic bytes, for checking a large body by its hash) and
// /quit (answers, then the program exits 0). With -get it is a client
// instead: it fetches URL and prints the status and the body's length
// and sha256.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"
)

// pattern is the byte at offset i of /bytes: the test computes the same.
func pattern(i int) byte {
	return byte(i*7 + i/4096)
}

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	get := flag.String("get", "", "fetch this URL instead of serving")
	flag.Parse()
	if *get != "" {
		os.Exit(fetch(*get))
	}

	var served uint64
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		served++
		fmt.Fprintf(w, "hello from Go %s net/http on %s/%s, %d CPUs, request %d\n",
			runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), served)
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 || n > 64<<20 {
			http.Error(w, "n: a count of bytes up to 64 MiB", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		buf := make([]byte, 32<<10)
		for off := 0; off < n; off += len(buf) {
			k := len(buf)
			if n-off < k {
				k = n - off
			}
			for i := 0; i < k; i++ {
				buf[i] = pattern(off + i)
			}
			if _, err := w.Write(buf[:k]); err != nil {
				return
			}
		}
	})
	quit := make(chan struct{})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		close(quit)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-quit
		time.Sleep(100 * time.Millisecond) // the answer goes out first
		fmt.Println("gohttpd: quit asked, exiting")
		os.Exit(0)
	}()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("gohttpd: listening on %s\n", *addr)
	log.Fatal(srv.Serve(ln))
}

func fetch(url string) int {
	client := http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Printf("gohttpd: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		fmt.Printf("gohttpd: reading the body: %v\n", err)
		return 1
	}
	fmt.Printf("gohttpd: %s, %d bytes, sha256 %x\n", resp.Status, n, h.Sum(nil))
	return 0
}
