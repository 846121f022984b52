/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * api.c: upstream's libinotifytools entry points (inotifytools.h), a thin
 * layer over one default context.  Return values and quirks follow
 * inotify-tools 4.25.9.0; where we differ (a bounded buffer, a stable copy
 * of a path), the function's comment says so.
 */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inotifytools/inotifytools.h"
#include "itl-core.h"

#define NPATHBUF 8

static struct itl *api_ctx;
static int api_error;
static int api_stats;
static int api_fan;		/* the context is fanotify */
static char *api_timefmt;
static struct itl_buf api_paths[NPATHBUF];	/* returned path strings */
static int api_next_path;
static char api_evstr[ITL_EVENTS_STRMAX];
static struct nstring api_out;

/* The regex may be set before inotifytools_init(), as inotifywatch does. */
static char *api_re;
static int api_re_cflags, api_re_flags;

struct itl *
itl_api_default(void)
{
	return api_ctx;
}

static int
fail(int r)
{
	api_error = r < 0 ? -r : r;
	return 0;
}

/* A stable copy of a path for the caller (upstream returned its stored
 * string; a few may be held at once). */
static const char *
keep_path(const char *p, size_t len)
{
	struct itl_buf *b = &api_paths[api_next_path];

	api_next_path = (api_next_path + 1) % NPATHBUF;
	b->len = 0;
	if (itl_buf_append(b, p, len) < 0 || itl_buf_putc(b, '\0') < 0)
		return "";
	return b->data;
}

int
inotifytools_init(int fanotify, int watch_filesystem, int verbose)
{
	struct itl_config cfg = {0};
	int r;

	(void)verbose;
	if (api_ctx != NULL)
		return 1;
	cfg.backend = fanotify ? ITL_FANOTIFY : ITL_INOTIFY;
	cfg.filesystem = watch_filesystem;
	cfg.stats = api_stats;
	r = itl_open(&api_ctx, &cfg);
	if (r < 0) {
		api_ctx = NULL;
		return fail(r == -ENOSYS ? -EINVAL : r);
	}
	if (api_re != NULL)
		(void)itl_filter_set_raw(api_ctx, api_re, api_re_cflags,
		    api_re_flags);
	api_fan = fanotify != 0;
	api_error = 0;
	return 1;
}

int
inotifytools_initialize(void)
{
	return inotifytools_init(0, 0, 0);
}

void
inotifytools_cleanup(void)
{
	int i;

	itl_close(api_ctx);
	api_ctx = NULL;
	api_stats = 0;
	api_fan = 0;
	free(api_timefmt);
	api_timefmt = NULL;
	free(api_re);
	api_re = NULL;
	for (i = 0; i < NPATHBUF; i++)
		itl_buf_free(&api_paths[i]);
}

int
inotifytools_watch_files(char const *filenames[], int events)
{
	int r;

	if (api_ctx == NULL)
		return fail(-EINVAL);
	for (; filenames != NULL && *filenames != NULL; filenames++) {
		r = itl_watch_add(api_ctx, *filenames, (uint32_t)events);
		if (r < 0)
			return fail(r);
	}
	return 1;
}

int
inotifytools_watch_file(char const *filename, int events)
{
	char const *list[2] = { filename, NULL };

	return inotifytools_watch_files(list, events);
}

int
inotifytools_watch_recursively_with_exclude(char const *path, int events,
    char const **exclude_list)
{
	int r;

	if (api_ctx == NULL)
		return fail(-EINVAL);
	r = itl_watch_tree(api_ctx, path, (uint32_t)events,
	    (const char *const *)exclude_list);
	return r < 0 ? fail(r) : 1;
}

int
inotifytools_watch_recursively(char const *path, int events)
{
	return inotifytools_watch_recursively_with_exclude(path, events, NULL);
}

int
inotifytools_remove_watch_by_wd(int wd)
{
	int r;

	if (api_ctx == NULL)
		return fail(-EINVAL);
	r = itl_watch_remove(api_ctx, wd);
	return r < 0 && r != -ENOENT ? fail(r) : 1;
}

int
inotifytools_remove_watch_by_filename(char const *filename)
{
	struct itl_watch *w;

	if (api_ctx == NULL)
		return fail(-EINVAL);
	w = itl_watch_by_path(api_ctx, filename);
	return w == NULL ? 1 : inotifytools_remove_watch_by_wd(w->wd);
}

const char *
inotifytools_filename_from_wd(int wd)
{
	const char *p;
	size_t len;

	if (api_ctx == NULL)
		return "";
	p = itl_wd_path(api_ctx, wd, &len);
	return len == 0 ? "" : keep_path(p, len);
}

int
inotifytools_wd_from_filename(char const *filename)
{
	struct itl_watch *w;

	if (api_ctx == NULL || filename == NULL)
		return -1;
	w = itl_watch_by_path(api_ctx, filename);
	return w == NULL ? -1 : w->wd;
}

const char *
inotifytools_filename_from_watch(struct watch *w)
{
	const char *sorted;

	if (w == NULL)
		return "";
	if ((sorted = itl_sorted_filename(w)) != NULL)
		return sorted;	/* a record of inotifytools_wd_sorted_by_event */
	return inotifytools_filename_from_wd(((struct itl_watch *)w)->wd);
}

const char *
inotifytools_dirname_from_event(struct inotify_event *event,
    size_t *dirnamelen)
{
	const char *p = inotifytools_filename_from_wd(event->wd), *slash;

	if (dirnamelen != NULL) {
		/* fanotify: the directory part, up to the last '/' */
		slash = api_fan ? strrchr(p, '/') : NULL;
		*dirnamelen = slash != NULL ? (size_t)(slash - p) + 1 :
		    strlen(p);
	}
	return p;
}

const char *
inotifytools_filename_from_event(struct inotify_event *event,
    char const **eventname, size_t *dirnamelen)
{
	const char *p;
	size_t len;

	p = inotifytools_dirname_from_event(event, &len);
	if (eventname != NULL)
		*eventname = event->len > 0 ? event->name :
		    api_fan ? p + len : "";
	if (dirnamelen != NULL)
		*dirnamelen = len;
	return p;
}

char *
inotifytools_dirpath_from_event(struct inotify_event *event)
{
	const char *w = inotifytools_filename_from_wd(event->wd);
	const char *name = event->len > 0 ? event->name : "";
	size_t wl = strlen(w), nl = strlen(name);
	char *p;

	if (*w == '\0' || !(event->mask & IN_ISDIR))
		return NULL;
	p = malloc(wl + nl + 2);
	if (p == NULL)
		return NULL;
	memcpy(p, w, wl);
	memcpy(p + wl, name, nl);
	p[wl + nl] = '/';
	p[wl + nl + 1] = '\0';
	return p;
}

static void
set_name(struct itl_watch *w, char const *filename)
{
	uint32_t id;

	if (w == NULL || filename == NULL)
		return;
	id = itl_node_by_wd(api_ctx, w->wd);
	if (id != ITL_NONE)
		(void)itl_node_move(api_ctx, id, ITL_NONE, filename,
		    strlen(filename));
}

void
inotifytools_set_filename_by_wd(int wd, char const *filename)
{
	if (api_ctx != NULL)
		set_name(itl_watch_by_wd(api_ctx, wd), filename);
}

void
inotifytools_set_filename_by_filename(char const *oldname,
    char const *newname)
{
	if (api_ctx != NULL && oldname != NULL)
		set_name(itl_watch_by_path(api_ctx, oldname), newname);
}

void
inotifytools_replace_filename(char const *oldname, char const *newname)
{
	if (api_ctx != NULL && oldname != NULL && newname != NULL)
		(void)itl_watch_rename_prefix(api_ctx, oldname, newname);
}

static int
set_regex(char const *pattern, int cflags, int flags)
{
	regex_t re;

	free(api_re);
	api_re = NULL;
	if (pattern != NULL) {
		if (regcomp(&re, pattern, cflags | REG_NOSUB) != 0) {
			if (api_ctx != NULL)
				(void)itl_filter_set_raw(api_ctx, NULL, 0, 0);
			return fail(-EINVAL);
		}
		regfree(&re);
		api_re = strdup(pattern);
		if (api_re == NULL)
			return fail(-ENOMEM);
	}
	api_re_cflags = cflags;
	api_re_flags = flags;
	if (api_ctx != NULL && itl_filter_set_raw(api_ctx, pattern, cflags,
	    flags) < 0)
		return fail(-EINVAL);
	return 1;
}

int
inotifytools_ignore_events_by_regex(char const *pattern, int flags,
    int recursive)
{
	return set_regex(pattern, flags,
	    recursive ? ITL_FILTER_RECURSIVE : 0);
}

int
inotifytools_ignore_events_by_inverted_regex(char const *pattern,
    int flags, int recursive)
{
	return set_regex(pattern, flags, ITL_FILTER_INVERT |
	    (recursive ? ITL_FILTER_RECURSIVE : 0));
}

struct inotify_event *
inotifytools_next_events(long int timeout, int num_events)
{
	const struct itl_event *ev;
	int ms, r;

	(void)num_events;	/* no busy wait for a byte count */
	if (api_ctx == NULL) {
		fail(-EINVAL);
		return NULL;
	}
	if (timeout < 0)
		ms = -1;
	else
		ms = timeout > INT_MAX / 1000 ? INT_MAX : (int)timeout * 1000;
	r = itl_next(api_ctx, ms, &ev);
	if (r <= 0) {
		api_error = -r;
		return NULL;
	}
	api_error = 0;
	return ev->raw;
}

struct inotify_event *
inotifytools_next_event(long int timeout)
{
	return inotifytools_next_events(timeout == 0 ? -1 : timeout, 1);
}

int
inotifytools_error(void)
{
	return api_error;
}

char *
inotifytools_event_to_str_sep(int events, char sep)
{
	itl_events_render((uint32_t)events, sep, api_evstr,
	    sizeof(api_evstr));
	return api_evstr;
}

char *
inotifytools_event_to_str(int events)
{
	return inotifytools_event_to_str_sep(events, ',');
}

int
inotifytools_str_to_event_sep(char const *event, char sep)
{
	uint32_t mask;

	if (event == NULL || itl_events_parse(event, sep, &mask) < 0)
		return -1;
	return (int)mask;
}

int
inotifytools_str_to_event(char const *event)
{
	return inotifytools_str_to_event_sep(event, ',');
}

/* ---- the printf family: upstream's engine, bounded --------------------- */

struct out {
	struct nstring *ns;
	size_t ind;		/* as upstream: may run past size */
	size_t size;
};

static void
put_bytes(struct out *o, const char *s, size_t n, size_t limit)
{
	size_t room = o->ind < limit ? limit - o->ind : 0;

	memcpy(o->ns->buf + o->ind, s, n < room ? n : room);
	o->ind += n;
}

static void
put_char(struct out *o, char c)
{
	if (o->ind < MAX_STRLEN)
		o->ns->buf[o->ind] = c;
	o->ind++;
}

static int
put_time(struct out *o)
{
	char t[MAX_STRLEN];
	struct tm tm;
	time_t now;
	size_t n = 0;

	if (api_timefmt != NULL) {
		now = time(NULL);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = strftime(t, sizeof(t) - 1, api_timefmt,
		    localtime_r(&now, &tm));
#pragma GCC diagnostic pop
		if (n == 0)
			return -EINVAL;
	}
	put_bytes(o, t, n, o->size);
	return 0;
}

/* One directive at fmt[i] == '%'; returns how many fmt bytes it used. */
static size_t
directive(struct out *o, struct inotify_event *ev, const char *fmt, size_t i,
    size_t flen, int *err)
{
	char c = fmt[i + 1], cookie[16];
	const char *s;
	size_t len;

	switch (c) {
	case '%': case '0': case 'n':
		put_char(o, c == '%' ? '%' : c == 'n' ? '\n' : '\0');
		return 2;
	case 'w':
		s = inotifytools_dirname_from_event(ev, &len);
		if (len <= (o->ind < o->size ? o->size - o->ind : 0))
			put_bytes(o, s, len, o->size);
		return 2;
	case 'f':
		(void)inotifytools_filename_from_event(ev, &s, &len);
		put_bytes(o, s, strlen(s), o->size);
		return 2;
	case 'c':
		len = (size_t)snprintf(cookie, sizeof(cookie), "%x",
		    ev->cookie);
		put_bytes(o, cookie, len, o->size - 1);
		return 2;
	case 'e':
		s = inotifytools_event_to_str((int)ev->mask);
		put_bytes(o, s, strlen(s), o->size);
		return 2;
	case 'T':
		*err = put_time(o);
		return 2;
	}
	if (i + 2 < flen && fmt[i + 2] == 'e') {
		s = inotifytools_event_to_str_sep((int)ev->mask, c);
		put_bytes(o, s, strlen(s), o->size);
		return 3;
	}
	put_char(o, '%');
	put_char(o, c);
	return 2;
}

int
inotifytools_snprintf(struct nstring *out, int size,
    struct inotify_event *event, const char *fmt)
{
	struct out o = { out, 0, 0 };
	size_t i, flen;
	int err = 0;

	if (fmt == NULL || *fmt == '\0' || out == NULL || event == NULL) {
		api_error = EINVAL;
		return -1;
	}
	flen = strlen(fmt);
	if (flen > MAX_STRLEN || size > MAX_STRLEN) {
		api_error = EMSGSIZE;
		return -1;
	}
	if (size < 1) {
		out->len = 0;
		return -1;
	}
	o.size = (size_t)size;
	for (i = 0; i < flen && o.ind + 1 < o.size && err == 0;) {
		if (fmt[i] != '%' || i + 1 == flen) {
			/* a lone '%' at the end prints itself (fixed) */
			put_char(&o, fmt[i++]);
			continue;
		}
		i += directive(&o, event, fmt, i, flen, &err);
	}
	out->len = (unsigned int)(o.ind < o.size ? o.ind : o.size);
	if (out->len < MAX_STRLEN)
		out->buf[out->len] = '\0';
	if (err != 0) {
		api_error = -err;
		return (int)out->len;
	}
	return (int)out->len - 1;
}

int
inotifytools_sprintf(struct nstring *out, struct inotify_event *event,
    const char *fmt)
{
	return inotifytools_snprintf(out, MAX_STRLEN, event, fmt);
}

int
inotifytools_fprintf(FILE *file, struct inotify_event *event,
    const char *fmt)
{
	int r = inotifytools_sprintf(&api_out, event, fmt);

	if (r != -1)
		fwrite(api_out.buf, 1, api_out.len, file);
	return r;
}

int
inotifytools_printf(struct inotify_event *event, const char *fmt)
{
	return inotifytools_fprintf(stdout, event, fmt);
}

void
inotifytools_set_printf_timefmt(const char *fmt)
{
	free(api_timefmt);
	api_timefmt = fmt != NULL ? strdup(fmt) : NULL;
}

void
inotifytools_clear_timefmt(void)
{
	inotifytools_set_printf_timefmt(NULL);
}

/* ---- statistics and limits --------------------------------------------- */

void
inotifytools_initialize_stats(void)
{
	api_stats = 1;
	if (api_ctx != NULL)
		itl_stats_reset(api_ctx);
}

static int
stat_of(struct itl_watch *w, int event)
{
	long v;

	if (api_ctx == NULL || w == NULL)
		return -1;
	v = itl_stats_watch(api_ctx, w, (uint32_t)event);
	return v < 0 ? -1 : (int)v;
}

int
inotifytools_get_stat_by_wd(int wd, int event)
{
	return stat_of(api_ctx ? itl_watch_by_wd(api_ctx, wd) : NULL, event);
}

int
inotifytools_get_stat_by_filename(char const *filename, int event)
{
	return stat_of(api_ctx && filename ?
	    itl_watch_by_path(api_ctx, filename) : NULL, event);
}

int
inotifytools_get_stat_total(int event)
{
	long v;

	if (api_ctx == NULL)
		return -1;
	v = itl_stats_total(api_ctx, (uint32_t)event);
	return v < 0 ? -1 : (int)v;
}

int
inotifytools_get_num_watches(void)
{
	return api_ctx == NULL ? 0 : (int)itl_watch_count(api_ctx);
}

static int
read_proc(const char *name)
{
	char path[64];
	FILE *f;
	int v;

	snprintf(path, sizeof(path), "/proc/sys/fs/inotify/%s", name);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int
inotifytools_get_max_user_watches(void)
{
	return read_proc("max_user_watches");
}

int
inotifytools_get_max_user_instances(void)
{
	return read_proc("max_user_instances");
}

int
inotifytools_get_max_queued_events(void)
{
	return read_proc("max_queued_events");
}
