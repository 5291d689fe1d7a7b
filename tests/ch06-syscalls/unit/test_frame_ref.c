/*
 * test_frame_ref.c: the copy-on-write reference counts (mm/frame_ref.c).
 *
 * First the rules one step at a time: a frame starts with one mapping;
 * each share adds one; each put takes one and the last put says so; the
 * count never goes below its start and stops at FRAME_REF_MAX; numbers
 * outside the table are refused. Then the race that matters: a parent
 * and its children, on several CPUs, dropping their mappings of the same
 * frames at once (each exiting, or each copying the page on a write
 * fault) must see "last" exactly once per frame, never twice (a double
 * free) and never not at all (a leak). Built with ASan/UBSan and with
 * TSan.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "frame_ref.h"

#include "check.h"

#define NFRAMES 4096
#define THREADS 4
#define ROUNDS 200

static uint16_t counts[NFRAMES];
static struct frame_refs refs;

static void test_rules(void)
{
    frame_refs_init(&refs, counts, NFRAMES);
    CHECK(!frame_refs_shared(&refs, 7));
    /* One mapping: its put is the last. */
    CHECK(frame_refs_put(&refs, 7));
    /* Shared by three (fork, then fork again): two puts are not last. */
    CHECK(frame_refs_get(&refs, 7) == 0);
    CHECK(frame_refs_get(&refs, 7) == 0);
    CHECK(frame_refs_shared(&refs, 7));
    CHECK(!frame_refs_put(&refs, 7));
    CHECK(frame_refs_shared(&refs, 7));
    CHECK(!frame_refs_put(&refs, 7));
    /* The survivor alone: it may write in place, and its put frees. */
    CHECK(!frame_refs_shared(&refs, 7));
    CHECK(frame_refs_put(&refs, 7));
    CHECK(counts[7] == 0);
    /* Other frames were never touched. */
    for (size_t i = 0; i < NFRAMES; i++)
        if (i != 7)
            CHECK(counts[i] == 0);
    /* The ceiling: refused at FRAME_REF_MAX, the count left there. */
    counts[9] = FRAME_REF_MAX - 1;
    CHECK(frame_refs_get(&refs, 9) == 0);
    CHECK(frame_refs_get(&refs, 9) == -1);
    CHECK(counts[9] == FRAME_REF_MAX);
    counts[9] = 0;
    /* Outside the table: refused to share, "last" to put (never counted). */
    CHECK(frame_refs_get(&refs, NFRAMES) == -1);
    CHECK(frame_refs_put(&refs, NFRAMES));
    CHECK(!frame_refs_shared(&refs, NFRAMES));
}

/* Each frame is mapped by THREADS "processes"; each thread drops its
 * mapping of every frame, in its own order, and counts the lasts. */
static int lasts[THREADS];

static void *dropper(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (size_t k = 0; k < NFRAMES; k++) {
        /* Every frame once, in an order of its own: an odd stride is
         * co-prime with NFRAMES, a power of two. */
        size_t frame = (k * (2 * (size_t)me + 1) + (size_t)me * 977) % NFRAMES;
        if (frame_refs_put(&refs, frame))
            lasts[me]++;
    }
    return NULL;
}

static void test_concurrent_drops(void)
{
    for (int round = 0; round < ROUNDS; round++) {
        frame_refs_init(&refs, counts, NFRAMES);
        /* THREADS mappings per frame: the first plus THREADS - 1 shares. */
        for (size_t f = 0; f < NFRAMES; f++)
            for (int s = 1; s < THREADS; s++)
                CHECK(frame_refs_get(&refs, f) == 0);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++) {
            lasts[i] = 0;
            CHECK(pthread_create(&t[i], NULL, dropper, (void *)(intptr_t)i) == 0);
        }
        int total = 0;
        for (int i = 0; i < THREADS; i++) {
            pthread_join(t[i], NULL);
            total += lasts[i];
        }
        /* Exactly one free per frame, and every count back at zero. */
        CHECK(total == NFRAMES);
        for (size_t f = 0; f < NFRAMES; f++)
            CHECK(counts[f] == 0);
        if (failures)
            break;
    }
}

/* Sharing and dropping at once (a fork while a sibling exits): the
 * counts end where the operations say. */
static void *churn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        size_t f = (size_t)i % 64;
        CHECK(frame_refs_get(&refs, f) == 0);
        CHECK(!frame_refs_put(&refs, f));   /* the base mapping keeps it alive */
    }
    return NULL;
}

static void test_concurrent_share_and_drop(void)
{
    frame_refs_init(&refs, counts, NFRAMES);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, churn, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (size_t f = 0; f < 64; f++) {
        CHECK(!frame_refs_shared(&refs, f));
        CHECK(frame_refs_put(&refs, f));
    }
}

int main(void)
{
    test_rules();
    test_concurrent_drops();
    test_concurrent_share_and_drop();
    if (failures == 0)
        printf("test_frame_ref: all passed\n");
    return failures != 0;
}
