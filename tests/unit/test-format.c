/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-format.c: --format programs, %T and CSV (format.c). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itl.h"
#include "tap.h"

/* An empty itl_buf may have no data: memcmp() wants a pointer anyway. */
#define DATA(b) ((b).data != NULL ? (b).data : "")

static struct itl_event
event(uint32_t mask, uint32_t cookie, const char *name)
{
	struct itl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.wd = -1;
	ev.mask = mask;
	ev.cookie = cookie;
	ev.name = name;
	ev.name_len = (uint32_t)strlen(name);
	return ev;
}

/* fmt made printable for a TAP description ("\n" shown as \n). */
static const char *
shown(const char *fmt)
{
	static char buf[64];
	size_t i = 0;

	buf[i++] = '"';
	for (; *fmt != '\0' && i < sizeof(buf) - 4; fmt++) {
		if (*fmt == '\n') {
			buf[i++] = '\\';
			buf[i++] = 'n';
		} else
			buf[i++] = *fmt;
	}
	buf[i++] = '"';
	buf[i] = '\0';
	return buf;
}

/* Render fmt for ev (no watches) and compare with want[0..wantlen). */
static void
check(const char *fmt, const char *timefmt, struct itl_event ev,
    const char *want, size_t wantlen, const char *what)
{
	struct itl_format *f = NULL;
	struct itl_buf b = {0};
	int r;

	if (what == NULL)
		what = shown(fmt);

	r = itl_format_compile(fmt, timefmt, &f);
	if (r == 0)
		r = itl_format_render(NULL, f, &ev, &b);
	if (!ok(r == 0, "%s: renders", what))
		printf("#   error %d\n", r);
	is_mem(DATA(b), b.len, want, wantlen, "%s", what);
	itl_buf_free(&b);
	itl_format_free(f);
}

#define CHECK(fmt, ev, want) \
	check(fmt, NULL, ev, want, sizeof(want) - 1, NULL)

static void
compile_errors(void)
{
	struct itl_format *f = (struct itl_format *)&f;

	is_int(itl_format_compile("", NULL, &f), -EINVAL, "empty fmt");
	is_int(itl_format_compile(NULL, NULL, &f), -EINVAL, "NULL fmt");
	ok(f == (struct itl_format *)&f, "out untouched on error");
	itl_format_free(NULL);
}

static void
directives(void)
{
	struct itl_event cw = event(IN_CLOSE_WRITE, 0x5a5, "f");
	struct itl_event md = event(IN_MODIFY | IN_ISDIR, 0, "sub");

	CHECK("%w %,e %f\n", cw, " CLOSE_WRITE,CLOSE f\n");
	CHECK("%w", cw, "");
	CHECK("%f", cw, "f");
	CHECK("[%f]", event(IN_OPEN, 0, ""), "[]");
	CHECK("%e", cw, "CLOSE_WRITE,CLOSE");
	CHECK("%:e", cw, "CLOSE_WRITE:CLOSE");
	CHECK("%_e", md, "MODIFY_ISDIR");
	CHECK("% e", md, "MODIFY ISDIR");
	CHECK("%e", event(0x00100000, 0, ""), "0x00100000");
	CHECK("%c", cw, "5a5");
	CHECK("%c", md, "0");
	CHECK("%c", event(IN_MOVED_TO, 0xdeadbeef, "x"), "deadbeef");
	CHECK("%c", event(IN_MOVED_TO, 0xffffffff, "x"), "ffffffff");
	CHECK("%c", event(IN_MOVED_TO, 0x10, "x"), "10");
	CHECK("%n", cw, "\n");
	CHECK("%%", cw, "%");
	CHECK("%%f", cw, "%f");
	CHECK("%q", cw, "%q");
	CHECK("%", cw, "%");
	CHECK("abc%", cw, "abc%");
	CHECK("%:", cw, "%:");
	CHECK("%T", cw, "");
	CHECK("a%fb%ec", md, "asubbMODIFY,ISDIRc");
}

static void
xe_edge_cases(void)
{
	struct itl_event cw = event(IN_CLOSE_WRITE, 0x5a5, "f");

	CHECK("%0e", cw, "\0e");
	CHECK("%ne", cw, "\ne");
	CHECK("%we", cw, "e");
	CHECK("%fe", cw, "fe");
	CHECK("%ce", cw, "5a5e");
	CHECK("%ee", cw, "CLOSE_WRITE,CLOSEe");
	CHECK("%Te", cw, "e");
	CHECK("%%e", cw, "%e");
	CHECK("%%%e", cw, "%CLOSE_WRITE,CLOSE");
	CHECK("%-e%/e", cw, "CLOSE_WRITE-CLOSECLOSE_WRITE/CLOSE");
	CHECK("%1e", cw, "CLOSE_WRITE1CLOSE");
	CHECK("%xee", cw, "CLOSE_WRITExCLOSEe");
}

static void
nul_bytes_are_kept(void)
{
	struct itl_event cw = event(IN_CLOSE_WRITE, 0, "f");

	CHECK("%0", cw, "\0");
	CHECK("%f%0", cw, "f\0");
	CHECK("a%0b%0%0c", cw, "a\0b\0\0c");
}

static void
time_directive(void)
{
	struct itl_event cw = event(IN_CLOSE_WRITE, 0, "f");
	char year[16], lone[32], *big, *want;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	localtime_r(&now, &tm);
	strftime(year, sizeof(year), "%Y", &tm);
	/* Skip a year boundary crossed during the test: vanishingly rare. */
	check("%T", "%Y", cw, year, strlen(year), "%T with %Y is this year");
	check("%T", "", cw, "", 0, "%T with an empty timefmt");
	check("[%T]", "%%", cw, "[%]", 3, "%T with %%");
	snprintf(lone, sizeof(lone), "%s%%", year);	/* glibc's output */
	check("%T", "%Y%", cw, lone, strlen(lone),
	    "%T with a trailing lone %, not read as %x");

	/* A rendering far longer than any first guess. */
	big = malloc(3 * 2000 + 1);
	want = malloc(5 * 2000 + 1);
	if (big == NULL || want == NULL)
		abort();
	for (i = 0; i < 2000; i++) {
		memcpy(big + 3 * i, "%Y-", 3);
		memcpy(want + (strlen(year) + 1) * i, year, strlen(year));
		want[(strlen(year) + 1) * i + strlen(year)] = '-';
	}
	big[3 * 2000] = '\0';
	check("%T", big, cw, want, (strlen(year) + 1) * 2000,
	    "%T longer than 8 KiB");
	free(big);
	free(want);
}

static void
time_is_current(void)
{
	struct itl_event cw = event(IN_CLOSE_WRITE, 0, "f");
	struct itl_format *f = NULL;
	struct itl_buf b = {0};
	time_t t0, t1;
	long long got;
	int r;

	r = itl_format_compile("%T", "%s", &f);
	is_int(r, 0, "compile %%T with %%s");
	t0 = time(NULL);
	r = itl_format_render(NULL, f, &cw, &b);
	t1 = time(NULL);
	is_int(r, 0, "render");
	is_int(itl_buf_putc(&b, '\0'), 0, "terminate");
	got = strtoll(b.data, NULL, 10);
	ok(got >= t0 && got <= t1, "%%T is the time of printing (%lld)", got);
	b.len = 0;
	r = itl_format_render(NULL, f, &cw, &b);
	is_int(itl_buf_putc(&b, '\0'), 0, "terminate");
	ok(r == 0 && strtoll(b.data, NULL, 10) >= got, "second render");
	itl_buf_free(&b);
	itl_format_free(f);
}

static void
renders_append(void)
{
	struct itl_event ev = event(IN_CREATE, 0, "x");
	struct itl_format *f = NULL;
	struct itl_buf b = {0};
	int i, r = 0;

	is_int(itl_format_compile("%e %f\n", NULL, &f), 0, "compile");
	for (i = 0; i < 1000 && r == 0; i++)
		r = itl_format_render(NULL, f, &ev, &b);
	is_int(r, 0, "1000 renders");
	is_int(b.len, 1000 * 9, "appended each time");
	is_mem(b.data + 999 * 9, 9, "CREATE x\n", 9, "last line");
	itl_buf_free(&b);
	itl_format_free(f);
}

static void
no_length_limit(void)
{
	struct itl_event ev;
	char *name, *fmt, *want;
	size_t n = 10000, i;

	name = malloc(n + 1);
	fmt = malloc(n + 3);
	want = malloc(2 * n + 1);
	if (name == NULL || fmt == NULL || want == NULL)
		abort();
	memset(name, 'a', n);
	name[n] = '\0';
	memset(fmt, 'b', n);
	memcpy(fmt + n, "%f", 3);
	memset(want, 'b', n);
	memcpy(want + n, name, n);
	ev = event(IN_CREATE, 0, name);
	check(fmt, NULL, ev, want, 2 * n, "10000-byte literal and name");
	for (i = 0; i < n / 2; i++)
		memcpy(fmt + 2 * i, "%0", 2);
	fmt[n] = '\0';
	memset(want, 0, n / 2);
	check(fmt, NULL, ev, want, n / 2, "5000 NULs");
	free(name);
	free(fmt);
	free(want);
}

static void
csv_field(const char *s, const char *want, const char *what)
{
	struct itl_buf b = {0};

	is_int(itl_format_csv_field(s, strlen(s), &b), 0, "%s: ok", what);
	is_mem(DATA(b), b.len, want, strlen(want), "%s", what);
	itl_buf_free(&b);
}

static void
csv_quoting(void)
{
	csv_field("plain", "plain", "plain field");
	csv_field("", "", "empty field: nothing");
	csv_field("a b", "a b", "inner space");
	csv_field(" lead", "\" lead\"", "leading space");
	csv_field("trail ", "\"trail \"", "trailing space");
	csv_field(" ", "\" \"", "a lone space");
	csv_field("a,b", "\"a,b\"", "comma");
	csv_field("a\"b", "\"a\"\"b\"", "quote doubled");
	csv_field("\"", "\"\"\"\"", "a lone quote");
	csv_field("a\nb", "\"a\nb\"", "newline");
	csv_field("a\rb\tc", "a\rb\tc", "CR and tab left alone");
	csv_field("a b,c\"q", "\"a b,c\"\"q\"", "upstream's example");
}

static void
csv_long_fields(void)
{
	struct itl_buf b = {0};
	size_t n = 9000, i;
	char *s;
	int ok_ = 1;

	if ((s = malloc(n)) == NULL)
		abort();
	memset(s, '"', n);
	is_int(itl_format_csv_field(s, n, &b), 0, "9000 quotes");
	is_int(b.len, 2 * n + 2, "all doubled, no truncation");
	for (i = 0; i < b.len; i++)
		ok_ &= b.data[i] == '"';
	ok(ok_, "only quotes");
	b.len = 0;
	memset(s, 'x', n);
	s[0] = ',';
	is_int(itl_format_csv_field(s, n, &b), 0, "9000 bytes with a comma");
	ok(b.len == n + 2 && b.data[0] == '"' && b.data[1] == ',' &&
	    b.data[n] == 'x' && b.data[n + 1] == '"', "quoted whole");
	itl_buf_free(&b);
	free(s);
}

static void
csv_line(struct itl_event ev, const char *want, const char *what)
{
	struct itl_buf b = {0};

	is_int(itl_format_csv(NULL, &ev, &b), 0, "%s: ok", what);
	is_mem(DATA(b), b.len, want, strlen(want), "%s", what);
	itl_buf_free(&b);
}

static void
csv_lines_without_watch(void)
{
	struct itl_event ov = event(IN_Q_OVERFLOW, 0, "");

	csv_line(ov, "Q_OVERFLOW,\n", "empty path field omitted");
	csv_line(event(IN_CREATE, 0, "a b,c\"q"), "CREATE,\"a b,c\"\"q\"\n",
	    "name quoted");
	csv_line(event(IN_CLOSE_WRITE, 0, "a b,c\"q"),
	    "\"CLOSE_WRITE,CLOSE\",\"a b,c\"\"q\"\n", "events quoted");
	csv_line(event(IN_CREATE, 0, " lead"), "CREATE,\" lead\"\n",
	    "leading space");
	csv_line(event(IN_CREATE, 0, "x\ny"), "CREATE,\"x\ny\"\n", "newline");
}

/* ---- with real watches --------------------------------------------- */

struct real {
	char dir[64];
	struct itl *ctx;
};

static int
real_open(struct real *t, uint32_t mask)
{
	strcpy(t->dir, "/tmp/test-format.XXXXXX");
	if (mkdtemp(t->dir) == NULL || itl_open(&t->ctx, NULL) < 0)
		return -1;
	return itl_watch_add(t->ctx, t->dir, mask);
}

/* Close, and remove the directory and the files in it. */
static void
real_close(struct real *t)
{
	struct dirent *de;
	DIR *d;

	itl_close(t->ctx);
	if ((d = opendir(t->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	if (rmdir(t->dir) != 0)
		printf("# cleanup of %s failed\n", t->dir);
}

/* The next event, rendered with f (or as CSV when f is NULL). */
static int
next_line(struct real *t, struct itl_format *f, struct itl_buf *b,
    uint32_t *cookie)
{
	const struct itl_event *ev;
	int r;

	b->len = 0;
	r = itl_next(t->ctx, 5000, &ev);
	if (r != 1)
		return r < 0 ? r : -ETIMEDOUT;
	if (cookie != NULL)
		*cookie = ev->cookie;
	r = f != NULL ? itl_format_render(t->ctx, f, ev, b) :
	    itl_format_csv(t->ctx, ev, b);
	if (r == 0)
		r = itl_buf_putc(b, '\0');
	return r;
}

static void
real_directory_events(void)
{
	static const char name[] = "a b,c\"q";
	struct itl_format *f = NULL;
	struct itl_buf b = {0};
	char want[256], path[128], path2[128];
	uint32_t c1 = 0, c2 = 0;
	struct real t;
	int fd;

	is_int(real_open(&t, IN_CREATE | IN_CLOSE_WRITE | IN_MOVE), 0,
	    "watch a new directory");
	is_int(itl_format_compile("%w|%f|%e|%c", NULL, &f), 0, "compile");
	snprintf(path, sizeof(path), "%s/%s", t.dir, name);
	snprintf(path2, sizeof(path2), "%s/m", t.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ok(fd >= 0 && close(fd) == 0 && rename(path, path2) == 0,
	    "create, close and rename a file");

	is_int(next_line(&t, f, &b, NULL), 0, "CREATE arrives");
	snprintf(want, sizeof(want), "%s/|%s|CREATE|0", t.dir, name);
	is_str(b.data, want, "%%w is the dir with '/', %%f the name");
	is_int(next_line(&t, NULL, &b, NULL), 0, "CLOSE_WRITE arrives");
	snprintf(want, sizeof(want),
	    "%s/,\"CLOSE_WRITE,CLOSE\",\"a b,c\"\"q\"\n", t.dir);
	is_str(b.data, want, "CSV line with the watched dir");
	is_int(next_line(&t, f, &b, &c1), 0, "MOVED_FROM arrives");
	snprintf(want, sizeof(want), "%s/|%s|MOVED_FROM|%x", t.dir, name, c1);
	is_str(b.data, want, "MOVED_FROM with its cookie");
	is_int(next_line(&t, f, &b, &c2), 0, "MOVED_TO arrives");
	snprintf(want, sizeof(want), "%s/|m|MOVED_TO|%x", t.dir, c1);
	is_str(b.data, want, "MOVED_TO with the same cookie");
	ok(c1 != 0 && c1 == c2, "cookies pair up (0x%x)", c1);

	itl_buf_free(&b);
	itl_format_free(f);
	real_close(&t);
}

static void
real_file_events(void)
{
	struct itl_format *f = NULL;
	struct itl_buf b = {0};
	char want[256], path[128];
	struct real t;
	int fd;

	ok(real_open(&t, IN_CREATE) == 0, "watch a new directory");
	snprintf(path, sizeof(path), "%s/f", t.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ok(fd >= 0 && close(fd) == 0, "create a file");
	is_int(itl_watch_add(t.ctx, path, IN_ATTRIB), 0, "watch the file");
	is_int(itl_format_compile("%w %,e %f\n", NULL, &f), 0, "compile");
	is_int(next_line(&t, f, &b, NULL), 0, "CREATE arrives");
	snprintf(want, sizeof(want), "%s/ CREATE f\n", t.dir);
	is_str(b.data, want, "default line for a file in the dir");
	ok(chmod(path, 0644) == 0, "chmod the file");
	is_int(next_line(&t, f, &b, NULL), 0, "ATTRIB arrives");
	snprintf(want, sizeof(want), "%s ATTRIB \n", path);
	is_str(b.data, want, "watched file: its path, trailing space");
	ok(chmod(path, 0600) == 0, "chmod again");
	is_int(next_line(&t, NULL, &b, NULL), 0, "ATTRIB arrives");
	snprintf(want, sizeof(want), "%s,ATTRIB,\n", path);
	is_str(b.data, want, "CSV for a watched file: empty name omitted");

	itl_buf_free(&b);
	itl_format_free(f);
	real_close(&t);
}

/* The names of a mask are cached per format: many masks, some sharing a
 * slot, some too long to cache, each rendered twice, with two separators
 * in one format, must all read as itl_events_render() says. */
static void
names_cache_is_exact(void)
{
	struct itl_format *f = NULL;
	struct itl_buf b = {0};
	char want[2 * ITL_EVENTS_STRMAX + 4];
	uint32_t mask, masks[300];
	size_t w;
	int i, k, n = 0, bad = 0;

	for (i = 0; i < 32; i++)
		masks[n++] = 1u << i;
	for (i = 0; i < 200; i++)
		masks[n++] = (uint32_t)i * 2654435761u;
	masks[n++] = IN_ALL_EVENTS | IN_ISDIR | IN_ONESHOT;	/* long */
	masks[n++] = 0;
	if (itl_format_compile("%e|%Xe\n", NULL, &f) < 0) {
		ok(0, "compile");
		return;
	}
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++) {
			mask = masks[i];
			b.len = 0;
			itl_format_render(NULL, f, &(struct itl_event){
			    .wd = -1, .mask = mask, .name = "" }, &b);
			w = itl_events_render(mask, ',', want,
			    ITL_EVENTS_STRMAX);
			want[w++] = '|';
			w += itl_events_render(mask, 'X', want + w,
			    ITL_EVENTS_STRMAX);
			want[w++] = '\n';
			bad += b.len != w || memcmp(b.data, want, w) != 0;
		}
	is_int(bad, 0, "%d masks twice, two separators: all exact", n);
	itl_buf_free(&b);
	itl_format_free(f);
}

int
main(void)
{
	compile_errors();
	directives();
	xe_edge_cases();
	nul_bytes_are_kept();
	time_directive();
	time_is_current();
	renders_append();
	no_length_limit();
	csv_quoting();
	csv_long_fields();
	csv_lines_without_watch();
	real_directory_events();
	real_file_events();
	names_cache_is_exact();
	return tap_done();
}
