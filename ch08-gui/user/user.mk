# user.mk: how the user programs in user/ are built; the chapter Makefile
# includes it. Every program is an ordinary static Linux x86-64 executable,
# so the same file runs on cubos, in the Linux reference guest
# (tools/linux_guest.py) and on the development host.
#
#   $(BUILD)/user/bin/NAME   from user/NAME.c, with musl's static C library
#   $(BUILD)/user/bin/NAME   from user/NAME/ with a go.mod: a Go program
#                            without cgo (sieve, goclock)
#
# USER_BIN lists them all. CC is the kernel's compiler (freestanding flags),
# so the user programs have a compiler of their own, musl-gcc (Debian's
# musl-tools), a wrapper that makes gcc use musl's headers and libraries.
# -pthread costs nothing with musl (its threads are in libc itself).
# WERROR=0 drops -Werror here too.
#
# Go builds offline: GOPROXY=off, the standard library only, and its cache
# and GOPATH inside $(BUILD), so a build writes nothing outside the chapter.
# -trimpath and -buildvcs=false keep host paths and git state out of the
# binary; -ldflags=-s drops the symbol table.

# Rules here must not become the chapter's default goal if this file is
# included before the Makefile's first target: remember it, restore it below.
USER_SAVED_GOAL := $(.DEFAULT_GOAL)

USER_CC     := musl-gcc
USER_CFLAGS := -static -O2 -Wall -Wextra $(if $(filter 0,$(WERROR)),,-Werror) -pthread

USER_C_SRC  := $(wildcard user/*.c)
USER_GO_MOD := $(wildcard user/*/go.mod)
USER_BIN    := $(patsubst user/%.c,$(BUILD)/user/bin/%,$(USER_C_SRC)) \
               $(patsubst user/%/go.mod,$(BUILD)/user/bin/%,$(USER_GO_MOD)) \
               $(BUILD)/user/bin/hello-pie

USER_GOENV := CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOPROXY=off GOFLAGS= \
              GOCACHE=$(abspath $(BUILD))/gocache/cache \
              GOPATH=$(abspath $(BUILD))/gocache/path

$(BUILD)/user/bin/%: user/%.c user/user.mk user/check.h
	@mkdir -p $(dir $@)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

# hello again as a static PIE (ELF type ET_DYN, loaded at a base the kernel
# picks, relocating itself). Debian's musl-gcc wrapper makes a dynamically
# linked PIE of -static-pie, so the link is spelled out: musl's rcrt1.o
# start file, which applies the relocations, and its static libc.a.
MUSL_LIB := /usr/lib/x86_64-linux-musl
$(BUILD)/user/bin/hello-pie: user/hello.c user/user.mk
	@mkdir -p $(dir $@)
	$(USER_CC) $(filter-out -static,$(USER_CFLAGS)) -fPIE -c -o $@.o $<
	gcc -nostdlib -static-pie -o $@ $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o $@.o \
	    $(MUSL_LIB)/libc.a $(MUSL_LIB)/crtn.o $$(gcc -print-libgcc-file-name)
	@rm -f $@.o

# Second expansion: each Go program depends on the .go files of its own folder.
.SECONDEXPANSION:
$(patsubst user/%/go.mod,$(BUILD)/user/bin/%,$(USER_GO_MOD)): $(BUILD)/user/bin/%: user/%/go.mod $$(wildcard user/%/*.go) user/user.mk
	@mkdir -p $(dir $@)
	cd user/$* && $(USER_GOENV) go build -trimpath -buildvcs=false -ldflags=-s -o $(abspath $@) .

.DEFAULT_GOAL := $(USER_SAVED_GOAL)
