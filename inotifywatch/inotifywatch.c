/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inotifywatch: gather filesystem usage statistics.
 *
 * Setup prints upstream's messages; an interrupt during setup gets the
 * "impatient user" answer.  Then the signals that end the run (INT, TERM,
 * HUP, ALRM with -t) and USR1 (print the table now) are blocked and read
 * from a signalfd, polled with the event fd (the library's wake fd), so
 * none is lost between a check and a wait.  -t is a deadline on that
 * wait.  Before the table is
 * printed, what the kernel already queued is read and counted: every event
 * that happened before the signal is in the table.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "iw.h"

/* How long a final drain may take when events keep coming. */
#define DRAIN_MS	1000
/* How often a flood of events yields to signals. */
#define FLOOD_EVENTS	1024

struct iw {
	struct iw_opts o;
	struct iw_table_cfg tcfg;
	struct itl *ctx;
	int sigfd;
	int done;
	long long deadline;	/* ms on CLOCK_MONOTONIC; 0: none */
	struct itl_buf out;
};

static volatile sig_atomic_t impatient;

static void
say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

static void
on_impatient(int sig)
{
	if (impatient) {
		say("No statistics collected, asked to abort before all "
		    "watches could be established.\n");
		_exit(CLI_EXIT_FAILURE);
	}
	impatient = 1;
	say("No statistics have been collected because I haven't finished "
	    "establishing\ninotify watches yet.  If you are sure you want me "
	    "to exit, interrupt me again.\n");
}

/* Counting needs no haste: at the end of each batch, the next one builds
 * up for NAP_US before the wait, so that a busy tree costs one wakeup per
 * batch, not one per event or two.  The kernel queue (16,384 events by
 * default) takes far longer than that to fill. */
#define NAP_US	1000

static int
nap(void *arg)
{
	struct timespec ts = { 0, NAP_US * 1000L };

	(void)arg;
	nanosleep(&ts, NULL);
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
stats_rows(void *ctx, itl_stats_fn fn, void *arg)
{
	return itl_stats_foreach(ctx, fn, arg);
}

/* Print the table (or "No events occurred.") and flush. */
static int
report(struct iw *w)
{
	int r;

	w->out.len = 0;
	if ((r = iw_table_render(&w->tcfg, stats_rows, w->ctx,
	    &w->out)) < 0) {
		cli_err("%s\n", strerror(-r));
		return -1;
	}
	if (r == 0)
		cli_err("No events occurred.\n");
	else if (fwrite(w->out.data, 1, w->out.len, stdout) != w->out.len)
		return -1;
	return fflush(stdout) == 0 ? 0 : -1;
}

static void
on_event(struct iw *w, const struct itl_event *ev)
{
	const char *dir;

	if (!(ev->flags & ITL_EVF_NEWDIR_FAILED))
		return;
	dir = itl_wd_path(w->ctx, ev->wd, NULL);
	cli_err("Couldn't watch new directory %s%s/: %s\n", cli_esc(dir),
	    cli_esc(ev->name), strerror(-ev->error));
}

/*
 * Take events until the kernel has no more: reading until it is empty also
 * lets the library settle what a batch left open (a directory moved out of
 * the tree).  Returns 0, or -errno on a read error.  When events keep
 * coming, gives up at the end of a batch after DRAIN_MS.  Used before the
 * table is printed, so without the nap.
 */
static int
drain(struct iw *w)
{
	const struct itl_event *ev;
	long long end = now_ms() + DRAIN_MS;
	int r;

	itl_set_idle(w->ctx, NULL, NULL);
	for (;;) {
		r = itl_next(w->ctx, 0, &ev);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		on_event(w, ev);
		if (now_ms() >= end && !itl_pending(w->ctx))
			break;
	}
	itl_set_idle(w->ctx, nap, NULL);
	return r < 0 ? r : 0;
}

static int
on_signals(struct iw *w)
{
	struct signalfd_siginfo si;
	int r;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGUSR1) {
			w->done = 1;
			continue;
		}
		if ((r = drain(w)) < 0)
			return r;
		if (report(w) != 0)
			return -EIO;
		putchar('\n');
		fflush(stdout);
	}
	return 0;
}

static int
wait_ms(const struct iw *w)
{
	long long left;

	if (w->deadline == 0)
		return -1;
	left = w->deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* The event loop; returns 0 or -errno (a read error).  A wait ends with
 * an event, a signal (the signalfd is the library's wake fd) or the -t
 * deadline; a flood of events yields to signals every FLOOD_EVENTS. */
static int
collect(struct iw *w)
{
	const struct itl_event *ev;
	unsigned long n = 0;
	int r, ms;

	itl_set_wake_fd(w->ctx, w->sigfd);
	itl_set_idle(w->ctx, nap, NULL);
	while (!w->done) {
		if ((ms = wait_ms(w)) == 0)
			break;
		r = itl_next(w->ctx, ms, &ev);
		if (r == 1) {
			on_event(w, ev);
			if (++n % FLOOD_EVENTS != 0)
				continue;
			r = -EINTR;
		}
		if (r == 0)
			break;
		if (r != -EINTR)
			return r;
		if ((r = on_signals(w)) < 0)
			return r;
	}
	return drain(w);
}

static int
signals_setup(struct iw *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (w->o.timeout > 0)
		sigaddset(&set, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -errno;
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return w->sigfd < 0 ? -errno : 0;
}

static void
timer_setup(struct iw *w)
{
	long long max = (LLONG_MAX - now_ms()) / 1000;

	if (w->o.timeout <= 0)
		return;
	if (w->o.verbose)
		cli_err("Will listen for events for %lu seconds.\n",
		    (unsigned long)w->o.timeout);
	if (w->o.timeout >= max)
		return;		/* beyond any clock: no deadline */
	w->deadline = now_ms() + (long long)w->o.timeout * 1000;
}

/* One path; -r -v says what it does. */
static int
watch_one(struct iw *w, const struct cli_paths *p, size_t i, uint32_t mask)
{
	struct cli_watch_opts wo = {
		.backend = w->o.backend,
		.fail = "Failed to watch",
		.out = cli_err,
	};
	const char *path = p->watch[i];
	int r, v = w->o.recursive && w->o.verbose;

	if (w->o.recursive)
		wo.flags |= CLI_WATCH_RECURSIVE;
	if (w->o.filesystem) {
		wo.flags |= CLI_WATCH_FILESYSTEM;
		if (i == 0)
			cli_err("Setting up filesystem watch on %s\n",
			    cli_esc(path));
		path = p->watch[0];	/* upstream names the first */
	} else if (v)
		cli_err("Setting up watch(es) on %s\n", cli_esc(p->watch[i]));
	r = cli_watch_path(w->ctx, p->watch[i], mask,
	    (const char *const *)p->excl, wo.flags);
	if (r < 0) {
		cli_watch_error(&wo, path, r);
		return -1;
	}
	if (v && !w->o.filesystem)
		cli_err("OK, %s is now being watched.\n", cli_esc(path));
	return 0;
}

static int
watch_all(struct iw *w, uint32_t mask)
{
	struct cli_paths p;
	size_t i;
	int r = 0;

	if (cli_paths_build(&p, w->o.argc, w->o.argv, w->o.fromfile) != 0)
		return -1;
	if (p.nwatch == 0) {
		cli_err("No files specified to watch!\n");
		cli_paths_free(&p);
		return -1;
	}
	cli_err("Establishing watches...\n");
	for (i = 0; r == 0 && i < p.nwatch; i++)
		r = watch_one(w, &p, i, mask);
	cli_paths_free(&p);
	return r;
}

/* Options to watches; returns 0, or the exit status. */
static int
setup(struct iw *w)
{
	struct itl_config cfg = { 0 };
	uint32_t events = w->o.events ? w->o.events : ITL_ALL_EVENTS;
	uint32_t mask = events;

	if (w->o.no_deref)
		mask |= IN_DONT_FOLLOW;
	if (w->o.backend == ITL_FANOTIFY)
		mask |= IN_ISDIR;
	cfg.backend = w->o.backend;
	cfg.filesystem = w->o.filesystem;
	cfg.track_new_dirs = w->o.recursive && !w->o.filesystem;
	cfg.stats = 1;
	w->tcfg.events = events;
	w->tcfg.zero = w->o.zero;
	w->tcfg.sort = w->o.sort;
	if (cfg.track_new_dirs)
		w->tcfg.uncounted = (IN_CREATE | IN_MOVE) & ~events;
	if (cli_open(&w->ctx, &cfg) != 0 ||
	    cli_regex_apply(w->ctx, &w->o.rx, w->o.recursive) != 0 ||
	    watch_all(w, mask) != 0)
		return CLI_EXIT_FAILURE;
	if (w->o.verbose)
		cli_err("Total of %zu watches.\n", itl_watch_count(w->ctx));
	cli_err("Finished establishing watches, now collecting statistics.\n");
	if (w->o.timeout < 0) {
		cli_err("Negative timeout specified - abort!\n");
		return CLI_EXIT_FAILURE;
	}
	return 0;
}

static int
run(struct iw *w, int argc, char *argv[])
{
	int r;

	if ((r = iw_opts_parse(&w->o, argc, argv)) != IW_OPTS_RUN)
		return r;
	if ((r = setup(w)) != 0)
		return r;
	timer_setup(w);
	if ((r = signals_setup(w)) < 0) {
		cli_err("%s\n", strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	itl_stats_reset(w->ctx);
	if ((r = collect(w)) < 0) {
		cli_err("%s\n", strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	return report(w) == 0 ? CLI_EXIT_SUCCESS : CLI_EXIT_FAILURE;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct iw w;
	int status;

	memset(&w, 0, sizeof(w));
	w.sigfd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_impatient;
	sa.sa_flags = SA_RESTART;	/* as signal(3): reads go on */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	status = run(&w, argc, argv);
	if (w.sigfd >= 0)
		close(w.sigfd);
	if (w.ctx != NULL)
		itl_close(w.ctx);
	itl_buf_free(&w.out);
	return status;
}
