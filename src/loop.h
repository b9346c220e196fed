/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The event loop (epoll): file descriptor watchers, monotonic one-shot
 * timers, signals delivered through a self-pipe, and a hook that runs just
 * before the loop sleeps (where the UI redraws). One loop per process.
 */
#ifndef P2PTUI_LOOP_H
#define P2PTUI_LOOP_H

#include <stdint.h>

struct loop;
struct loop_watch;
struct loop_timer;

/* Events are POLLIN / POLLOUT (and POLLERR/POLLHUP on return). */
typedef void (*loop_fd_cb)(int fd, int revents, void *arg);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);
typedef void (*loop_hook_cb)(void *arg);

struct loop *loop_create(void);
/* Frees the loop, its watchers and timers; restores signal handlers. */
void loop_free(struct loop *);

/* Milliseconds from CLOCK_MONOTONIC. */
uint64_t loop_now_ms(void);

/*
 * Watch fd for events; the watcher is owned by the loop. Delete it before
 * closing fd. Adding, changing and deleting are O(1).
 */
struct loop_watch *loop_watch_add(
    struct loop *, int fd, int events, loop_fd_cb, void *arg);
void loop_watch_set(struct loop_watch *, int events);
/* Safe at any time, including from inside any callback. */
void loop_watch_del(struct loop_watch *);

/*
 * A one-shot timer firing after ms milliseconds. Timers due at the same
 * time fire in the order they were added. The loop frees a timer right
 * after its callback returns, so the owner forgets its pointer in the
 * callback.
 */
struct loop_timer *loop_timer_add(
    struct loop *, uint64_t ms, loop_timer_cb, void *arg);
/*
 * The same, for a timer that may fire up to a sixteenth of ms (at most
 * about a second) late: its due time is rounded up to a grid, so that
 * many such timers (keepalives) share their wakeups.
 */
struct loop_timer *loop_timer_add_coarse(
    struct loop *, uint64_t ms, loop_timer_cb, void *arg);
/* Cancel a pending timer; safe from inside any callback. */
void loop_timer_del(struct loop_timer *);

/* Deliver signo as an event in the loop (handler writes the self-pipe). */
int loop_signal(struct loop *, int signo, loop_signal_cb, void *arg);

/*
 * Called once per iteration before the before-sleep hook. The engine
 * commits its batched writes here: sockets are only written after the loop
 * reports them writable, so nothing queued in this iteration (an
 * acknowledgement) reaches the network before the commit.
 */
void loop_set_commit_hook(struct loop *, loop_hook_cb, void *arg);

/* Called once per iteration just before the loop may sleep. */
void loop_set_before_sleep(struct loop *, loop_hook_cb, void *arg);

/* Run one iteration, sleeping at most max_ms (-1: until an event). */
int loop_once(struct loop *, int max_ms);
/* Run until loop_stop(). 0 normally, -1 if poll failed. */
int loop_run(struct loop *);
void loop_stop(struct loop *);

/* Number of times epoll_wait() returned (for the idle-wakeup benchmark). */
uint64_t loop_wakeups(const struct loop *);

#endif
