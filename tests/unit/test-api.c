/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-api.c: the upstream-compatible entry points (inotifytools.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inotifytools/inotifytools.h"
#include "tap.h"
#include "tmptree.h"

/* Every event until none arrives for a moment, as "%w%f %e\n" lines. */
static const char *
lines(void)
{
	static char out[8192];
	struct inotify_event *ev;
	struct nstring ns;
	size_t n = 0;

	out[0] = '\0';
	while ((ev = inotifytools_next_events(0, 1)) != NULL) {
		if (inotifytools_sprintf(&ns, ev, "%w%f %e\n") < 0)
			break;
		if (n + ns.len < sizeof(out)) {
			memcpy(out + n, ns.buf, ns.len);
			n += ns.len;
			out[n] = '\0';
		}
	}
	return out;
}

static const char *
expect(const char *fmt)
{
	static char out[8192];
	const char *s;
	size_t n = 0;

	/* fmt lines name paths relative to top with '@' */
	for (s = fmt; *s != '\0' && n + 80 < sizeof(out); s++) {
		if (*s == '@') {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s/",
			    top);
			continue;
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	return out;
}

static void
acceptance(void)
{
	int fd;

	mkdir(P("t"), 0755);
	mkdir(P("t/a"), 0755);
	mkdir(P("t/a/b"), 0755);
	is_int(inotifytools_initialize(), 1, "initialize");
	is_int(inotifytools_initialize(), 1, "again: a no-op");
	is_int(inotifytools_watch_recursively(P("t"), IN_ALL_EVENTS), 1,
	    "watch_recursively");
	is_int(inotifytools_get_num_watches(), 3, "three watches");

	fd = open(P("t/a/b/f"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (write(fd, "x", 1) != 1)
		perror("write");
	close(fd);
	is_str(lines(), expect(
	    "@t/a/b/f CREATE\n"
	    "@t/a/b/f OPEN\n"
	    "@t/a/b/f MODIFY\n"
	    "@t/a/b/f CLOSE_WRITE,CLOSE\n"), "create and modify");
	rename(P("t/a/b/f"), P("t/a/g"));
	unlink(P("t/a/g"));
	is_str(lines(), expect(
	    "@t/a/b/f MOVED_FROM\n"
	    "@t/a/g MOVED_TO\n"
	    "@t/a/g DELETE\n"), "move and delete");
	rmdir(P("t/a/b"));
	is_str(lines(), expect(
	    "@t/a/b/ DELETE_SELF\n"
	    "@t/a/b/ IGNORED\n"
	    "@t/a/b DELETE,ISDIR\n"), "rmdir of a watched dir");
}

static void
lookups(void)
{
	int wd = inotifytools_wd_from_filename(P("t/a/"));

	ok(wd > 0, "wd_from_filename of a stored name");
	is_int(inotifytools_wd_from_filename(P("t/a")), -1, "exact match only");
	is_str(inotifytools_filename_from_wd(wd), P("t/a/"), "filename_from_wd");
	is_str(inotifytools_filename_from_wd(99999), "", "unknown wd: \"\"");
	inotifytools_replace_filename(P("t/"), P("u/"));
	is_str(inotifytools_filename_from_wd(wd), P("u/a/"), "replace_filename");
	inotifytools_replace_filename(P("u/"), P("t/"));
	is_int(inotifytools_remove_watch_by_wd(99999), 1,
	    "removing an unknown wd: 1");
	is_int(inotifytools_remove_watch_by_filename(P("t/a/")), 1,
	    "remove by filename");
	is_int(inotifytools_wd_from_filename(P("t/a/")), -1, "gone");
	is_int(inotifytools_watch_file(P("nonexistent"), IN_ALL_EVENTS), 0,
	    "watching a missing file fails");
	is_int(inotifytools_error(), ENOENT, "error() is ENOENT");
}

static void
events_and_printf(void)
{
	_Alignas(struct inotify_event) char raw[sizeof(struct inotify_event) +
	    16] = {0};
	struct nstring out;
	struct inotify_event *ev = (struct inotify_event *)(void *)raw;
	int r;

	ev->mask = IN_MODIFY;
	ev->len = 16;
	memcpy(ev->name, "name", 5);
	is_str(inotifytools_event_to_str(IN_CLOSE_WRITE), "CLOSE_WRITE,CLOSE",
	    "event_to_str");
	is_str(inotifytools_event_to_str_sep(IN_MODIFY | IN_ISDIR, ':'),
	    "MODIFY:ISDIR", "event_to_str_sep");
	is_int(inotifytools_str_to_event("modify,Close_write"),
	    IN_MODIFY | IN_CLOSE_WRITE, "str_to_event");
	is_int(inotifytools_str_to_event("bogus"), -1, "unknown: -1");
	is_int(inotifytools_str_to_event(""), 0, "empty: 0");
	r = inotifytools_snprintf(&out, 10, ev, "Event %e %.e on %w %f %T");
	ok(out.len == 10 && memcmp(out.buf, "Event MODI", 10) == 0,
	    "snprintf 10 gives \"Event MODI\" (%.*s)", (int)out.len, out.buf);
	is_int(r, 9, "returns length - 1");
	r = inotifytools_sprintf(&out, ev, "%f %e %c %% %q %:e");
	is_str(out.buf, "name MODIFY 0 % %q MODIFY", "directives");
	is_int(r, (int)strlen("name MODIFY 0 % %q MODIFY") - 1, "length - 1");
	r = inotifytools_sprintf(&out, ev, "");
	is_int(r, -1, "empty format: -1");
	is_int(inotifytools_error(), EINVAL, "EINVAL");
	inotifytools_set_printf_timefmt("X%YX");
	inotifytools_sprintf(&out, ev, "%T");
	ok(out.len == 6 && out.buf[0] == 'X' && out.buf[5] == 'X', "%%T");
	inotifytools_set_printf_timefmt(NULL);
	inotifytools_sprintf(&out, ev, "[%T]");
	is_str(out.buf, "[]", "timefmt NULL clears");
	inotifytools_sprintf(&out, ev, "abc%");
	is_str(out.buf, "abc%", "a lone trailing %% prints");
}

static void
regex_and_stats(void)
{
	int wd, fd;

	is_int(inotifytools_ignore_events_by_regex("(", REG_EXTENDED, 0), 0,
	    "bad regex: 0");
	is_int(inotifytools_error(), EINVAL, "EINVAL");
	is_int(inotifytools_ignore_events_by_regex("skip", REG_EXTENDED, 0), 1,
	    "exclude skip");
	inotifytools_initialize_stats();
	wd = inotifytools_wd_from_filename(P("t/"));
	fd = open(P("t/skip"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	fd = open(P("t/keep"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	is_str(lines(), expect(
	    "@t/keep CREATE\n"
	    "@t/keep OPEN\n"
	    "@t/keep CLOSE_WRITE,CLOSE\n"), "regex drops skip");
	is_int(inotifytools_get_stat_by_wd(wd, IN_CREATE), 1, "stat by wd");
	is_int(inotifytools_get_stat_by_wd(wd, 0), 3, "stat total by wd");
	is_int(inotifytools_get_stat_by_filename(P("t/"), IN_OPEN), 1,
	    "stat by filename");
	is_int(inotifytools_get_stat_total(IN_CLOSE_WRITE), 1, "stat total");
	is_int(inotifytools_get_stat_by_wd(wd, IN_CLOSE), -1, "two bits: -1");
	inotifytools_initialize_stats();
	is_int(inotifytools_get_stat_total(0), 0, "reset");
	is_int(inotifytools_ignore_events_by_regex(NULL, 0, 0), 1, "clear");
	ok(inotifytools_get_max_queued_events() > 0, "max_queued_events");
	ok(inotifytools_get_max_user_watches() > 0, "max_user_watches");
	ok(inotifytools_get_max_user_instances() > 0, "max_user_instances");
	inotifytools_cleanup();
	is_int(inotifytools_get_num_watches(), 0, "cleanup");
	if (inotifytools_init(1, 0, 0)) {
		ok(inotifytools_watch_file(P("t"), IN_CREATE), "fanotify mark");
		is_int(inotifytools_get_num_watches(), 1, "one fanotify watch");
		inotifytools_cleanup();
	} else {
		ok(inotifytools_error() == EINVAL ||
		    inotifytools_error() == EPERM, "fanotify: EINVAL or EPERM");
		ok(1, "no fanotify here");
	}
}

int
main(void)
{
	if (tmptree_make("api") < 0)
		return 99;
	acceptance();
	lookups();
	events_and_printf();
	regex_and_stats();
	tmptree_remove(top);
	return tap_done();
}
