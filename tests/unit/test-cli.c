/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-cli.c: common/ (program identity, escapes, -t, -e, the path list). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tap.h"

static void
identity(void)
{
	is_str(cli_progname("/usr/bin/inotifywait"), "inotifywait",
	    "progname is the basename");
	is_str(cli_progname("inotifywait"), "inotifywait", "no slash");
	is_str(cli_progname(NULL), "<executable>", "no argv[0]");
	is_int(cli_default_backend("/x/fsnotifywait"), ITL_FANOTIFY,
	    "fsnotify* is fanotify");
	is_int(cli_default_backend("fsnotifywatch"), ITL_FANOTIFY,
	    "fsnotifywatch too");
	is_int(cli_default_backend("/fsnotify/inotifywait"), ITL_INOTIFY,
	    "only the basename counts");
	is_int(cli_default_backend(""), ITL_INOTIFY, "empty argv[0]");
}

static void
timeout(void)
{
	long t = 7;

	is_int(cli_parse_timeout("12", &t), 0, "12 parses");
	is_int(t, 12, "12 stored");
	is_int(cli_parse_timeout(" -3", &t), 0, "leading space, sign");
	is_int(t, -3, "-3 stored");
	is_int(cli_parse_timeout("1x", &t), -1, "trailing junk");
	is_int(cli_parse_timeout("", &t), -1, "empty");
	is_int(cli_parse_timeout("99999999999999999999", &t), -1, "ERANGE");
	is_int(t, -3, "failures leave the value");
}

static void
events(void)
{
	uint32_t m = IN_ATTRIB;

	is_int(cli_parse_events("modify,CREATE", &m), 0, "list parses");
	is_int(m, IN_ATTRIB | IN_MODIFY | IN_CREATE, "ORed in");
	is_int(cli_parse_events("", &m), 0, "empty adds nothing");
	is_int(cli_parse_events("modify,nope", &m), -1, "unknown name");
	is_int(m, IN_ATTRIB | IN_MODIFY | IN_CREATE, "failure adds nothing");
}

static char *
write_list(const char *text, size_t len)
{
	static char path[] = "/tmp/test-cli.XXXXXX";
	int fd;

	strcpy(path, "/tmp/test-cli.XXXXXX");
	if ((fd = mkstemp(path)) < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static void
paths_from_file_and_argv(void)
{
	static const char text[] = "a\n\n@x\n@\nb c\nlast-no-newline";
	char *argv[] = { "d", "", "@", "@y/", NULL };
	struct cli_paths p;
	char *file = write_list(text, sizeof(text) - 1);

	is_int(cli_paths_build(&p, 4, argv, file), 0, "list builds");
	is_int(p.nwatch, 4, "four paths");
	is_str(p.watch[0], "a", "file first");
	is_str(p.watch[1], "b c", "spaces kept");
	is_str(p.watch[2], "last-no-newline", "last line without newline");
	is_str(p.watch[3], "d", "then argv");
	ok(p.watch[4] == NULL, "NULL-terminated");
	is_int(p.nexcl, 2, "two exclusions");
	is_str(p.excl[0], "x", "@x");
	is_str(p.excl[1], "y/", "@y/");
	ok(p.excl[2] == NULL, "exclusions NULL-terminated");
	is_int(cli_paths_relative(&p), 1, "relative paths");
	cli_paths_free(&p);
	unlink(file);
}

static void
paths_long_line(void)
{
	size_t n = 100000;
	char *text = malloc(n + 1);
	struct cli_paths p;
	char *file;

	memset(text, 'z', n);
	text[n] = '\n';
	file = write_list(text, n + 1);
	is_int(cli_paths_build(&p, 0, NULL, file), 0, "long line builds");
	is_int(p.nwatch, 1, "one path, not split");
	is_int(strlen(p.watch[0]), n, "whole line kept");
	cli_paths_free(&p);
	unlink(file);
	free(text);
}

static void
paths_errors(void)
{
	struct cli_paths p;
	char *argv[] = { "/abs", NULL };

	is_int(cli_paths_build(&p, 0, NULL, "/nonexistent/list"), -1,
	    "missing --fromfile is an error");
	is_int(cli_paths_build(&p, 1, argv, NULL), 0, "argv only");
	is_int(cli_paths_relative(&p), 0, "absolute paths");
	cli_paths_free(&p);
	is_int(cli_paths_build(&p, 0, NULL, NULL), 0, "nothing at all");
	is_int(p.nwatch, 0, "no path");
	ok(p.watch != NULL && p.watch[0] == NULL, "empty list, terminated");
	cli_paths_free(&p);
}

static void
escape_in_messages(void)
{
	const char *plain = "dir/with spaces/ü";
	const char *a, *b;

	ok(cli_esc(plain) == plain, "a plain name is not copied");
	is_str(cli_esc("x\nsyncd: FAKE"), "x\\nsyncd: FAKE",
	    "a newline is written \\n");
	is_str(cli_esc("a\tb\\c"), "a\\tb\\\\c", "tab and backslash");
	is_str(cli_esc("\033[2J\x7f\x01"), "\\x1b[2J\\x7f\\x01",
	    "other control characters as \\xNN");
	a = cli_esc("one\n");
	b = cli_esc("two\n");
	is_str(a, "one\\n", "first of two escapes in one message");
	is_str(b, "two\\n", "second of two escapes in one message");
}

int
main(void)
{
	identity();
	escape_in_messages();
	timeout();
	events();
	paths_from_file_and_argv();
	paths_long_line();
	paths_errors();
	return tap_done();
}
