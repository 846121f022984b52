/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inotifywait: wait for filesystem events and print them.
 *
 * main() follows upstream's startup order (options, watches, "Watches
 * established.", events); options.c parses
 * the command line, output.c batches stdout, common/ holds what inotifywatch
 * shares, and the library does the watching, the recursion and the
 * rendering.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inotifywait.h"

#define DEFAULT_FORMAT	"%w %,e %f\n"

struct iw {
	struct iw_opts o;
	struct itl *ctx;
	struct itl_format *fmt;		/* NULL with --csv */
	struct cli_paths paths;
	uint32_t events;		/* kernel mask */
	uint32_t orig;			/* what is printed */
	int write_err;			/* -errno of a failed flush */
};

static void
iw_free(struct iw *w)
{
	iw_out_free();
	cli_paths_free(&w->paths);
	if (w->fmt != NULL)
		itl_format_free(w->fmt);
	if (w->ctx != NULL)
		itl_close(w->ctx);
	iw_options_free(&w->o);
}

/* upstream's validate_format(): render a fake event (wd 0, all events, no
 * name) and reject a format whose output is empty. */
static int
format_check(struct iw *w)
{
	struct itl_event fake = { .wd = 0, .mask = IN_ALL_EVENTS, .name = "" };
	struct itl_buf b = { 0 };
	size_t len;
	int r;

	r = itl_format_render(w->ctx, w->fmt, &fake, &b);
	len = b.len;
	itl_buf_free(&b);
	if (r == -ENOMEM)
		cli_die_nomem();
	return r < 0 || len == 0 ? -1 : 0;
}

static int
format_setup(struct iw *w)
{
	const char *fmt = w->o.format ? w->o.format : DEFAULT_FORMAT;
	int r;

	if (w->o.csv)
		return 0;
	r = itl_format_compile(fmt, w->o.timefmt, &w->fmt);
	if (r == -ENOMEM)
		cli_die_nomem();
	if (r == 0 && (w->o.format == NULL || format_check(w) == 0))
		return 0;
	cli_err("Something is wrong with your format string.\n");
	return -1;
}

static void
mask_setup(struct iw *w)
{
	w->events = w->o.events ? w->o.events : IN_ALL_EVENTS;
	w->orig = w->events;
	if (w->o.monitor && w->o.recursive)
		w->events |= IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM;
	if (w->o.no_deref)
		w->events |= IN_DONT_FOLLOW;
	if (w->o.backend == ITL_FANOTIFY)
		w->events |= IN_ISDIR;
}

/* -o, and -d: open (creating) the outfile before daemon() so that a
 * relative name works; keep the working directory when a watch path is
 * relative (they stay relative, and printed as given). */
static int
output_setup(struct iw *w)
{
	const char *path = w->o.outfile;
	int fd;

	if (path == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (w->o.daemon)
			cli_err("%s: %s\n", strerror(errno), cli_esc(path));
		else
			cli_err("Failed to open output file %s\n",
			    cli_esc(path));
		return -1;
	}
	if (w->o.daemon && daemon(cli_paths_relative(&w->paths), 0) < 0) {
		cli_err("Failed to daemonize!\n");
		close(fd);
		return -1;
	}
	if (dup2(fd, STDOUT_FILENO) < 0) {
		cli_err("Failed to open output file %s\n", cli_esc(path));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
watch_setup(struct iw *w)
{
	struct cli_watch_opts wo = {
		.backend = w->o.backend,
		.fail = "Couldn't watch",
		.out = cli_msg,
	};

	if (w->o.recursive)
		wo.flags |= CLI_WATCH_RECURSIVE;
	if (w->o.filesystem)
		wo.flags |= CLI_WATCH_FILESYSTEM;
	if (!w->o.quiet) {
		if (w->o.filesystem)
			cli_msg("Setting up filesystem watches.\n");
		else if (w->o.recursive)
			cli_msg("Setting up watches.  Beware: since -r was "
			    "given, this may take a while!\n");
		else
			cli_msg("Setting up watches.\n");
	}
	if (cli_watch_all(w->ctx, &w->paths, w->events, &wo) < 0)
		return -1;
	if (!w->o.quiet)
		cli_msg("Watches established.\n");
	return 0;
}

static void
write_error(struct iw *w, int r)
{
	cli_msg("%s: write error: %s\n", w->o.progname, strerror(-r));
}

/* Flush everything (force) or a full buffer.  0 or -1. */
static int
flush(struct iw *w, int force)
{
	int r = force ? iw_out_flush() : iw_out_maybe_flush();

	if (r < 0) {
		write_error(w, r);
		return -1;
	}
	return 0;
}

/* The library's idle hook: the batch has ended, so the output goes out
 * before it waits.  A write error ends the wait (-ECANCELED). */
static int
end_of_batch(void *arg)
{
	struct iw *w = arg;
	int r = iw_out_flush();

	if (r < 0) {
		w->write_err = r;
		return -ECANCELED;
	}
	return 0;
}

/* Everything up to the event loop, in upstream's order.  0 or -1. */
static int
setup(struct iw *w)
{
	struct itl_config cfg = {
		.backend = w->o.backend,
		.filesystem = w->o.filesystem,
		.track_new_dirs = w->o.monitor && w->o.recursive,
		.scan_new_dirs = w->o.monitor && w->o.recursive,
		.wait_in_read = 1,
	};

	if (iw_out_init() < 0)
		cli_die_nomem();
	if (cli_open(&w->ctx, &cfg) < 0 ||
	    cli_regex_apply(w->ctx, &w->o.rx, w->o.recursive) < 0 ||
	    format_setup(w) < 0)
		return -1;
	mask_setup(w);
	if (cli_paths_build(&w->paths, w->o.nargs, w->o.args,
	    w->o.fromfile) < 0)
		return -1;
	if (w->paths.nwatch == 0) {
		cli_err("No files specified to watch!\n");
		return -1;
	}
	if (output_setup(w) < 0)
		return -1;
	if (w->o.syslog)
		cli_log_syslog("inotifywait");
	itl_set_idle(w->ctx, end_of_batch, w);
	return watch_setup(w);
}

/* Wait for the next event with the idle timeout of -t (0: none).  Returns
 * itl_next()'s 1, 0 (timeout) or -errno; waits longer than INT_MAX ms are
 * made of several. */
static int
next_event(struct iw *w, const struct itl_event **ev)
{
	int64_t left;
	int r, step;

	if (w->o.timeout <= 0 || w->o.timeout > INT64_MAX / 1000) {
		while ((r = itl_next(w->ctx, -1, ev)) == -EINTR)
			continue;
		return r;
	}
	left = (int64_t)w->o.timeout * 1000;
	while (left > 0) {
		step = left > INT_MAX ? INT_MAX : (int)left;
		r = itl_next(w->ctx, step, ev);
		if (r == -EINTR)
			continue;
		if (r != 0)
			return r;
		left -= step;
	}
	return 0;
}

/* The messages an event may carry: lost events, new directories. */
static void
event_messages(struct iw *w, const struct itl_event *ev)
{
	const char *dir;

	if ((ev->mask & IN_Q_OVERFLOW) && w->o.quiet < 2)
		cli_msg("%s: event queue overflowed; events were lost\n",
		    w->o.progname);
	if (!(ev->flags & (ITL_EVF_NEWDIR | ITL_EVF_NEWDIR_FAILED)))
		return;
	dir = itl_wd_path(w->ctx, ev->wd, NULL);
	if ((ev->flags & ITL_EVF_NEWDIR) && !w->o.quiet)
		cli_msg("Watching new directory %s%s/\n", cli_esc(dir),
		    cli_esc(ev->name));
	if (ev->flags & ITL_EVF_NEWDIR_FAILED)
		cli_msg("Couldn't watch new directory %s%s/: %s\n",
		    cli_esc(dir), cli_esc(ev->name), strerror(-ev->error));
}

/* Render ev into the output buffer if it is to be printed. */
static int
print_event(struct iw *w, const struct itl_event *ev)
{
	if (w->o.quiet >= 2 || !(ev->mask & w->orig))
		return 0;
	/* 4.25.9.0: with --include[i], no ISDIR event is printed. */
	if ((ev->mask & IN_ISDIR) && cli_regex_inverted(&w->o.rx))
		return 0;
	if (w->o.csv)
		return itl_format_csv(w->ctx, ev, iw_out_buf());
	return itl_format_render(w->ctx, w->fmt, ev, iw_out_buf());
}

static int
loop(struct iw *w)
{
	const struct itl_event *ev;
	int r;

	for (;;) {
		r = next_event(w, &ev);
		if (r == 0) {
			flush(w, 1);
			return CLI_EXIT_TIMEOUT;
		}
		if (r < 0 && w->write_err < 0) {
			write_error(w, w->write_err);
			return CLI_EXIT_FAILURE;
		}
		if (r < 0) {
			flush(w, 1);
			cli_msg("%s\n", strerror(-r));
			return CLI_EXIT_FAILURE;
		}
		if (print_event(w, ev) == -ENOMEM)
			cli_die_nomem();
		event_messages(w, ev);
		if (!w->o.monitor)
			break;
		if (flush(w, 0) < 0)
			return CLI_EXIT_FAILURE;
	}
	if (flush(w, 1) < 0)
		return CLI_EXIT_FAILURE;
	/* Single mode: an event we did not ask for (IGNORED...) is 1. */
	return (w->events & ev->mask) ? CLI_EXIT_SUCCESS : CLI_EXIT_FAILURE;
}

static int
run(struct iw *w)
{
	if (setup(w) < 0)
		return CLI_EXIT_FAILURE;
	if (w->o.timeout < 0) {
		cli_err("Negative timeout specified - abort!\n");
		return CLI_EXIT_FAILURE;
	}
	return loop(w);
}

int
main(int argc, char **argv)
{
	struct iw w = { .o = { .backend = ITL_INOTIFY } };
	int r;

	if (argc > 0)
		w.o.backend = cli_default_backend(argv[0]);
	r = iw_options_parse(&w.o, argc, argv);
	if (r == 0)
		r = run(&w);
	else
		r = r > 0 ? CLI_EXIT_SUCCESS : CLI_EXIT_FAILURE;
	iw_free(&w);
	return r;
}
