# cubos: the top-level Makefile. Each chNN-* folder is a complete kernel with
# its own Makefile; this one runs a target over all of them.
#
#   make                 build every chapter's kernel and ISO
#   make run             boot the last chapter in QEMU, serial on this terminal
#   make run-uefi        the same under UEFI firmware (OVMF)
#   make debug           the last chapter under gdb, stopped in kmain
#   make console         the serial console of `make debug`, from a second terminal
#   make iso             the bootable ISO of every chapter
#   make test            every chapter's tests, the grader's self-checks and the book
#   make test CH=ch01-boot   one chapter's tests
#   make test SOAK=1     with the long soak runs (ch06's million fuzzed calls)
#   make bench           micro-benchmarks of the last chapter beside a host reference,
#                        Go, (ch06 on) its system calls beside a Linux guest and
#                        (ch07 on) its web server beside nginx in that guest
#   make bench ONLY=syscalls   only the system calls (ONLY=net: only the web server;
#                        ONLY=kernel: only the kernel's own benchmarks)
#   make book            the book as HTML in book/_build/html (warnings are errors)
#   make lab CH=ch04-threads [LAB='name...'] [OUT=dir]
#                        a lab for students: the chapter with the labs' code cut
#                        out, its tests and `make grade` (default OUT: lab-CH)
#   make clean

CHAPTERS := $(sort $(wildcard ch[0-9][0-9]-*))
LAST     := $(lastword $(CHAPTERS))
# Debian's Python, which sees Debian's pytest and Sphinx (another python3
# may come first on PATH).
PYTHON   := /usr/bin/python3

# tools/deps.sh checks the Debian packages once per make: the chapters'
# makes, which see this variable, skip their own check.
export CUBOS_DEPS_CHECKED := 1

all iso: deps
	@for ch in $(CHAPTERS); do $(MAKE) -C $$ch $@ || exit 1; done

deps:
	@tools/deps.sh

run run-uefi debug console: deps
	$(MAKE) -C $(LAST) $@

# The tests run in parallel, one pytest-xdist worker per host CPU (one
# more was tried: QEMU's emulation then takes more CPU time in all, and the
# whole is no faster); TEST_JOBS=1 runs them one after another, TEST_JOBS=4
# on four workers. The 25 slowest are listed at the end.
TEST_JOBS ?= auto
PYTEST := $(PYTHON) -m pytest -n $(TEST_JOBS) --dist loadgroup --durations=25
# SOAK=1: the long runs too (a million fuzzed system calls in ch06).
export CUBOS_SOAK := $(SOAK)
# FULL=1, or one chapter (CH=...): each chapter runs all its predecessors'
# tests again, not only its own, its predecessor's and the essentials
# (tests/harness.py, inherit_all).
export CUBOS_FULL := $(if $(or $(FULL),$(CH)),1)

test: deps
ifdef CH
	@test -f $(CH)/Makefile || { echo "make test: no chapter '$(CH)' (chapters: $(CHAPTERS))"; exit 2; }
	@test -d tests/$(CH) || { echo "make test: no tests in tests/$(CH)"; exit 2; }
	cd tests && $(PYTEST) $(CH)
else
	cd tests && $(PYTEST)
endif

# The last chapter that has benchmarks (kernel/bench.c).
BENCH_CH := $(lastword $(foreach ch,$(CHAPTERS),$(if $(wildcard $(ch)/kernel/bench.c),$(ch))))

bench: deps
	$(PYTHON) tools/bench.py $(BENCH_CH) $(if $(ONLY),--only $(ONLY))

book: deps
	$(PYTHON) -m sphinx -W --keep-going -q -b html book book/_build/html
	@echo "book: book/_build/html/index.html"

lab:
	@test -n "$(CH)" || { echo "make lab: say which chapter: make lab CH=chNN-name (chapters: $(CHAPTERS))" >&2; exit 2; }
	@$(PYTHON) tools/lab.py make $(CH) $(LAB) $(if $(OUT),--out $(OUT))

clean:
	@for ch in $(CHAPTERS); do $(MAKE) -C $$ch clean; done
	rm -rf book/_build tests/out lab-ch[0-9][0-9]-*

.PHONY: all iso deps run run-uefi debug console test bench book lab clean
