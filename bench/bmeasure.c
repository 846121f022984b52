/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bmeasure: runs one watcher (any program that prints "Watches
 * established." or inotifywatch's "now collecting statistics" on stderr)
 * and measures it.  Prints one line of key=value figures.
 *
 *   bmeasure setup -- cmd...
 *	wall and CPU time until the watches are established, VmHWM/VmRSS
 *	then, the number of watches (fdinfo) and ru_maxrss at exit
 *   bmeasure thru -d DIR -n N [-b BURST [-S]] [-e EV] -- cmd...
 *	cmd prints one line per event of DIR on stdout; a generator creates,
 *	writes and closes N files (EV events each, default 4) as fast as it
 *	can, or in bursts of BURST files, each drained before the next; with
 *	-S the watcher is stopped (SIGSTOP) while a burst is written and the
 *	drain is timed from SIGCONT.  Sentinel files mark the end of a batch:
 *	the lines before them are the events delivered (a "#count N" line, as
 *	printed by ref-count, gives the count directly)
 *   bmeasure count -f FILE -n PAIRS -- cmd...
 *	inotifywatch-like cmd: PAIRS open/close of FILE; waits until the
 *	kernel queue is empty (pidfd_getfd + FIONREAD) and cmd sleeps, then
 *	SIGINT, and sums the "total" column (or reads "#count N")
 *   bmeasure mem -d DIR -n CYCLES -k FIRST -- cmd...
 *	-m -r cmd: VmRSS after FIRST and after CYCLES mkdir/rmdir of DIR/cycle
 */
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct opts {
	const char *dir, *file;
	long n, burst, evper, first;
	int stopped;
	double timeout;
	char **cmd;
};

/* The watcher's stdout, parsed into lines. */
struct out {
	char part[1 << 16];
	size_t partlen;
	long lines;		/* non-sentinel lines */
	long counted;		/* from "#count N", -1 if never seen */
	long want;		/* sentinel batch id awaited */
	int synced;
	int eof;
};

static struct child child;
static int dirfd_ = -1;

static void
line(struct out *o, char *s, size_t len)
{
	const size_t sl = sizeof(BENCH_SENTINEL) - 1;
	char *p;

	s[len] = '\0';
	if (len >= sl && (p = memmem(s, len, BENCH_SENTINEL, sl)) != NULL) {
		if (strncmp(s, "#count ", 7) == 0)
			o->counted = strtol(s + 7, NULL, 10);
		if (strtol(p + sl, NULL, 10) == o->want)
			o->synced = 1;
		return;
	}
	if (strncmp(s, "#count ", 7) == 0) {
		o->counted = strtol(s + 7, NULL, 10);
		return;
	}
	o->lines++;
}

static void
feed(struct out *o, char *buf, size_t n)
{
	char *nl, *start = buf, *end = buf + n;
	size_t k;

	while ((nl = memchr(start, '\n', end - start)) != NULL) {
		if (o->partlen > 0) {
			k = nl - start;
			if (k > sizeof(o->part) - 1 - o->partlen)
				k = sizeof(o->part) - 1 - o->partlen;
			memcpy(o->part + o->partlen, start, k);
			line(o, o->part, o->partlen + k);
			o->partlen = 0;
		} else
			line(o, start, nl - start);
		start = nl + 1;
	}
	k = end - start;
	if (k > sizeof(o->part) - 1 - o->partlen)
		k = sizeof(o->part) - 1 - o->partlen;
	memcpy(o->part + o->partlen, start, k);
	o->partlen += k;
}

/* Wait up to ms for output and parse all of it. */
static void
pump(struct out *o, int ms)
{
	static char buf[1 << 18];
	struct pollfd pfd[2];
	ssize_t n;
	int nfd = 0;

	if (child.out != -1 && !o->eof) {
		pfd[nfd].fd = child.out;
		pfd[nfd++].events = POLLIN;
	}
	if (child.err != -1) {
		pfd[nfd].fd = child.err;
		pfd[nfd++].events = POLLIN;
	}
	if (nfd == 0) {
		sleep_s(ms / 1000.0);
		return;
	}
	if (poll(pfd, nfd, ms) <= 0)
		return;
	child_drain_err(&child);
	if (child.out == -1 || o->eof)
		return;
	while ((n = read(child.out, buf, sizeof(buf) - 1)) > 0)
		feed(o, buf, (size_t)n);
	if (n == 0)
		o->eof = 1;
}

/* Fork a generator: fn(arg) in a child process. */
static pid_t
gen_start(int (*fn)(const struct opts *, long), const struct opts *op,
    long arg)
{
	pid_t pid = fork();

	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		int rc = fn(op, arg);

		if (rc < 0)
			fprintf(stderr, "generator: %s\n", strerror(-rc));
		_exit(rc < 0);
	}
	return pid;
}

/* Pump output until the generator exits. */
static void
gen_wait(struct out *o, pid_t pid)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			err(1, "waitpid");
		pump(o, 5);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "generator failed");
}

/* Create sentinel files for batch id until its line shows up. */
static void
sync_batch(struct out *o, long id, double timeout)
{
	double end = now_s() + timeout, next = 0;
	char name[64];
	long k = 0;

	o->want = id;
	o->synced = 0;
	while (!o->synced) {
		if (now_s() >= next) {
			snprintf(name, sizeof(name), "%s%ld-%ld",
			    BENCH_SENTINEL, id, k++);
			if (gen_touch(dirfd_, name) < 0)
				err(1, "%s", name);
			next = now_s() + 0.05;
		}
		if (now_s() > end)
			errx(1, "watcher did not drain within %.0f s",
			    timeout);
		if (o->eof)
			errx(1, "watcher exited");
		pump(o, 10);
	}
}

static int
gen_files_fn(const struct opts *op, long first)
{
	long k = op->n - first < op->burst ? op->n - first : op->burst;

	return gen_files(dirfd_, "f", first, k, 16);
}

static void
start_child(const struct opts *op, int capture)
{
	signal(SIGPIPE, SIG_IGN);
	if (child_spawn(&child, op->cmd, capture) == -1)
		err(1, "spawn %s", op->cmd[0]);
	if (child_wait_ready(&child, op->timeout) == -1)
		errx(1, "%s did not establish its watches", op->cmd[0]);
}

/* SIGSTOP the watcher and wait until it has stopped: until then, a read
 * woken by the signal may still take events. */
static void
stop_child(void)
{
	double end = now_s() + 10;

	kill(child.pid, SIGSTOP);
	while (proc_state(child.pid) != 'T') {
		if (now_s() > end)
			errx(1, "the watcher did not stop");
		sleep_s(0.0002);
	}
}

static long
delivered(const struct out *o)
{
	return o->counted >= 0 ? o->counted : o->lines;
}

static int
cmd_thru(struct opts *op)
{
	static struct out o;
	double t, drain = 0;
	long long cpu0, cpu1;
	long done, k, id = 0, expected;
	pid_t g;

	if (op->burst <= 0)
		op->burst = op->n;
	o.counted = -1;
	start_child(op, 1);
	cpu0 = proc_cpu_ns(child.pid);
	for (done = 0; done < op->n; done += k) {
		k = op->n - done < op->burst ? op->n - done : op->burst;
		if (op->stopped) {
			stop_child();
			if (gen_files_fn(op, done) < 0)
				err(1, "generator");
			t = now_s();
			kill(child.pid, SIGCONT);
		} else {
			t = now_s();
			g = gen_start(gen_files_fn, op, done);
			gen_wait(&o, g);
		}
		sync_batch(&o, ++id, op->timeout);
		drain += now_s() - t;
	}
	cpu1 = proc_cpu_ns(child.pid);
	child_stop(&child, SIGTERM, NULL);
	expected = op->n * op->evper;
	printf("events=%ld expected=%ld lost=%ld cpu_ms=%.1f "
	    "ns_per_event=%.1f drain_eps=%.0f drain_s=%.3f\n",
	    delivered(&o), expected, expected - delivered(&o),
	    (cpu1 - cpu0) / 1e6,
	    delivered(&o) ? (double)(cpu1 - cpu0) / delivered(&o) : 0.0,
	    drain > 0 ? delivered(&o) / drain : 0.0, drain);
	return 0;
}

static int
gen_openclose_fn(const struct opts *op, long arg)
{
	return gen_openclose(op->file, arg);
}

/* Wait until the kernel queue is empty and the watcher sleeps. */
static void
wait_drained(struct out *o, double timeout)
{
	double end = now_s() + timeout;
	int quiet = 0;

	while (quiet < 3) {
		if (proc_inotify_queued(child.pid) == 0 &&
		    proc_state(child.pid) == 'S')
			quiet++;
		else
			quiet = 0;
		if (now_s() > end)
			errx(1, "watcher did not drain within %.0f s",
			    timeout);
		pump(o, 2);
	}
}

/* Sum the first column of a statistics table (rows start with a digit). */
static long
table_total(const char *s)
{
	long sum = 0;

	for (; s != NULL && *s != '\0'; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (*s >= '0' && *s <= '9')
			sum += strtol(s, NULL, 10);
	}
	return sum;
}

/* Capture raw stdout into a buffer (for the statistics table). */
static char tbl[1 << 20];
static size_t tbllen;

static void
read_table(double timeout)
{
	double end = now_s() + timeout;
	struct pollfd pfd;
	ssize_t n;

	pfd.fd = child.out;
	pfd.events = POLLIN;
	while (now_s() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(child.out, tbl + tbllen, sizeof(tbl) - 1 - tbllen);
		if (n == 0)
			break;
		if (n > 0)
			tbllen += n;
		child_drain_err(&child);
	}
	tbl[tbllen] = '\0';
}

static int
cmd_count(struct opts *op)
{
	static struct out o;
	long long cpu0, cpu1;
	long counted;
	double t0, t1;
	char *p;

	o.eof = 1;	/* stdout is only read at the end */
	start_child(op, 1);
	cpu0 = proc_cpu_ns(child.pid);
	t0 = now_s();
	gen_wait(&o, gen_start(gen_openclose_fn, op, op->n));
	wait_drained(&o, op->timeout);
	t1 = now_s();
	cpu1 = proc_cpu_ns(child.pid);
	kill(child.pid, SIGINT);
	read_table(op->timeout);
	child_stop(&child, 0, NULL);
	if ((p = strstr(tbl, "#count ")) != NULL)
		counted = strtol(p + 7, NULL, 10);
	else
		counted = table_total(tbl);
	printf("events=%ld expected=%ld lost=%ld cpu_ms=%.1f "
	    "ns_per_event=%.1f rate_eps=%.0f\n", counted, 2 * op->n,
	    2 * op->n - counted, (cpu1 - cpu0) / 1e6,
	    counted ? (double)(cpu1 - cpu0) / counted : 0.0,
	    counted / (t1 - t0));
	return 0;
}

static int
gen_mkrmdir_fn(const struct opts *op, long cycles)
{
	return gen_mkrmdir(dirfd_, "cycle", cycles);
}

static int
cmd_mem(struct opts *op)
{
	static struct out o;
	long rss0, rss1, rss2;

	o.counted = -1;
	start_child(op, 1);
	rss0 = proc_status_kb(child.pid, "VmRSS");
	gen_wait(&o, gen_start(gen_mkrmdir_fn, op, op->first));
	sync_batch(&o, 1, op->timeout);
	rss1 = proc_status_kb(child.pid, "VmRSS");
	gen_wait(&o, gen_start(gen_mkrmdir_fn, op, op->n - op->first));
	sync_batch(&o, 2, op->timeout);
	rss2 = proc_status_kb(child.pid, "VmRSS");
	printf("cycles=%ld rss_ready_kb=%ld rss_first_kb=%ld rss_end_kb=%ld "
	    "growth_kb=%ld hwm_kb=%ld lines=%ld\n", op->n, rss0, rss1, rss2,
	    rss2 - rss1, proc_status_kb(child.pid, "VmHWM"), o.lines);
	child_stop(&child, SIGTERM, NULL);
	return 0;
}

static int
cmd_setup(struct opts *op)
{
	struct rusage ru;
	long hwm, rss, watches;
	long long cpu;
	double wall;

	start_child(op, 0);
	wall = now_s() - child.t0;
	cpu = proc_cpu_ns(child.pid);
	hwm = proc_status_kb(child.pid, "VmHWM");
	rss = proc_status_kb(child.pid, "VmRSS");
	watches = proc_inotify_watches(child.pid);
	child_stop(&child, SIGTERM, &ru);
	printf("wall_ms=%.1f cpu_ms=%.1f hwm_kb=%ld rss_kb=%ld watches=%ld "
	    "maxrss_kb=%ld\n", wall * 1e3, cpu / 1e6, hwm, rss, watches,
	    ru.ru_maxrss);
	return 0;
}

static void
usage(void)
{
	errx(1, "usage: bmeasure setup|thru|count|mem [-d DIR] [-f FILE] "
	    "[-n N] [-b BURST] [-S] [-e EV] [-k FIRST] [-t SECS] -- cmd...");
}

int
main(int argc, char *argv[])
{
	struct opts op = { .evper = 4, .timeout = 300 };
	const char *sub;
	int c;

	if (argc < 2)
		usage();
	sub = argv[1];
	argv++, argc--;
	while ((c = getopt(argc, argv, "+d:f:n:b:Se:k:t:")) != -1) {
		switch (c) {
		case 'd': op.dir = optarg; break;
		case 'f': op.file = optarg; break;
		case 'n': op.n = atol(optarg); break;
		case 'b': op.burst = atol(optarg); break;
		case 'S': op.stopped = 1; break;
		case 'e': op.evper = atol(optarg); break;
		case 'k': op.first = atol(optarg); break;
		case 't': op.timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	op.cmd = argv + optind;
	if (op.dir != NULL && (dirfd_ = open(op.dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", op.dir);
	if (strcmp(sub, "setup") == 0)
		return cmd_setup(&op);
	if (strcmp(sub, "thru") == 0 && dirfd_ != -1 && op.n > 0)
		return cmd_thru(&op);
	if (strcmp(sub, "count") == 0 && op.file != NULL && op.n > 0)
		return cmd_count(&op);
	if (strcmp(sub, "mem") == 0 && dirfd_ != -1 && op.n > op.first &&
	    op.first > 0)
		return cmd_mem(&op);
	usage();
	return 1;
}
