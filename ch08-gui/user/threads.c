/*
 * threads.c: POSIX threads in a user program.
 *
 * Shows clone(2) with a shared address space, futex(2) waits and wakes
 * (musl builds its mutexes and condition variables on them), thread exit
 * and join. N threads (4 by default, argv[1] may ask for 1 to 64) each add
 * 1 to one shared counter 100000 times, taking a mutex for each addition.
 * When done, each thread counts itself done and signals a condition
 * variable; the main thread waits on it until all have reported, joins them
 * all and prints the total.
 *
 * Expected output, run as `threads` (status 0; 1 if the total is wrong):
 *
 *   total = 400000 (expected 400000)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_THREADS 4
#define MAX_THREADS     64
#define ADDS_PER_THREAD 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static long counter;       /* the shared counter; under lock */
static int threads_done;   /* threads that have finished adding; under lock */

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS_PER_THREAD; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }

    pthread_mutex_lock(&lock);
    threads_done++;
    pthread_cond_signal(&all_done);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = DEFAULT_THREADS;
    pthread_t threads[MAX_THREADS];

    if (argc > 1) {
        char *end;
        long n = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || n < 1 || n > MAX_THREADS) {
            fprintf(stderr, "usage: threads [1..%d]\n", MAX_THREADS);
            return 2;
        }
        nthreads = (int)n;
    }

    for (int i = 0; i < nthreads; i++) {
        int err = pthread_create(&threads[i], NULL, adder, NULL);
        if (err != 0) {
            fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
            return 1;
        }
    }

    /* Each thread signals once; recheck the count, as wake-ups may be spurious. */
    pthread_mutex_lock(&lock);
    while (threads_done < nthreads)
        pthread_cond_wait(&all_done, &lock);
    pthread_mutex_unlock(&lock);

    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);

    long expected = (long)nthreads * ADDS_PER_THREAD;
    printf("total = %ld (expected %ld)\n", counter, expected);
    return counter == expected ? 0 : 1;
}
