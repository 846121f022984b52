/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.h: helpers shared by the benchmark programs (never installed, never
 * part of `make check`): timing, /proc sampling, spawning a watcher with its
 * stdout and stderr on pipes, and the event generators.
 */
#ifndef BENCH_H
#define BENCH_H

#include <sys/types.h>
#include <sys/resource.h>
#include <stddef.h>

/* Name prefix of the files the harness creates to mark the end of a batch;
 * ref-count reports its count when it sees one. */
#define BENCH_SENTINEL "bench-sentinel-"

/* ---- proc.c ---------------------------------------------------------- */

struct child {
	pid_t pid;
	int out;		/* stdout pipe (nonblocking), -1: /dev/null */
	int err;		/* stderr pipe (nonblocking) */
	double t0;		/* spawn time, now_s() */
	char line[4096];	/* stderr line being assembled */
	size_t linelen;
	int ready;		/* the ready message was seen */
};

double now_s(void);
void sleep_s(double s);
/* Nanoseconds the task ran on a CPU (/proc/PID/schedstat). -1 if gone. */
long long proc_cpu_ns(pid_t pid);
/* A "Key:  N kB" field of /proc/PID/status, in kB; -1 if absent. */
long proc_status_kb(pid_t pid, const char *key);
/* Number of inotify watches of pid (lines "inotify wd:" in fdinfo). */
long proc_inotify_watches(pid_t pid);
/* Queued bytes of pid's inotify fd (pidfd_getfd + FIONREAD); -1 if none. */
long proc_inotify_queued(pid_t pid);
/* Scheduler state letter of pid ('R', 'S', ...), 0 if gone. */
int proc_state(pid_t pid);

int child_spawn(struct child *c, char *const argv[], int capture_out);
/* Read stderr until a line holds "Watches established" or "now collecting
 * statistics" (or quiet ready is not wanted: needle NULL returns at once).
 * 0 on success, -1 on timeout or exit. */
int child_wait_ready(struct child *c, double timeout_s);
/* Discard whatever stderr holds now. */
void child_drain_err(struct child *c);
/* Send sig (unless 0), reap, fill *ru; returns the wait status. */
int child_stop(struct child *c, int sig, struct rusage *ru);

/* ---- gen.c ----------------------------------------------------------- */

/* Create, write size bytes to, and close files prefix<first>..; returns 0
 * or -errno. */
int gen_files(int dirfd, const char *prefix, long first, long count,
    size_t size);
/* Open and close path read-only pairs times (OPEN + CLOSE_NOWRITE). */
int gen_openclose(const char *path, long pairs);
/* mkdir and rmdir dirfd/name cycles times. */
int gen_mkrmdir(int dirfd, const char *name, long cycles);
/* Directory tree: path/dA/dB/dC with fan-outs a, b, c (c may be 0). */
int gen_tree(const char *path, long a, long b, long c);
/* Remove everything inside path (recursively), not path itself. */
int gen_clean(const char *path);
/* Create (and close) dirfd/name, an empty file. */
int gen_touch(int dirfd, const char *name);

#endif /* BENCH_H */
