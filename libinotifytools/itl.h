/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * itl.h: the library's internal interface, shared by the library files, the
 * tools (which link the convenience library libitl.la) and the unit tests.
 *
 * Conventions:
 *  - functions return 0 (or a count) on success and -errno on failure;
 *    output parameters are set only on success;
 *  - nothing here prints or exits;
 *  - one context (struct itl) holds all state; api.c keeps one default
 *    context for the upstream entry points.
 *
 * Prototypes are grouped by the file that defines them.
 */
#ifndef ITL_H
#define ITL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/inotify.h>

#define ITL_ALL_EVENTS IN_ALL_EVENTS

struct itl;
struct itl_watch;
struct itl_format;
struct itl_buf;

/* ---- events.c: event-name table, name <-> mask ---------------------- */

struct itl_event_name {
	uint32_t mask;
	const char *name;	/* upper case, as printed: "CLOSE_WRITE" */
};

/* Every name upstream knows, in upstream's print order (ACCESS, MODIFY,
 * ATTRIB, CLOSE_WRITE, CLOSE_NOWRITE, OPEN, MOVED_FROM, MOVED_TO, CREATE,
 * DELETE, DELETE_SELF, UNMOUNT, Q_OVERFLOW, IGNORED, CLOSE, MOVE_SELF, ISDIR,
 * ONESHOT), then the parse-only names (MOVE, ALL_EVENTS).  Ends with
 * {0, NULL}. */
extern const struct itl_event_name itl_event_names[];

/* Parse "modify,Close_write" split on sep, case-insensitive.  -EINVAL for
 * an unknown name or a sep in [A-Za-z_].  As upstream, tokens are taken from
 * the left and an empty one (s == "", or a leading, trailing or doubled sep)
 * makes the whole result 0: ",modify" and "modify," give 0, "bad,,x"
 * -EINVAL.  sep '\0' takes s as one name. */
int itl_events_parse(const char *s, char sep, uint32_t *mask);
/* Render mask as names joined by sep in print order ("CLOSE_WRITE,CLOSE");
 * "0x%08x" when no known bit is set.  Always NUL-terminates when size > 0;
 * returns the full length (as snprintf).  ITL_EVENTS_STRMAX always fits. */
#define ITL_EVENTS_STRMAX 256
size_t itl_events_render(uint32_t mask, char sep, char *buf, size_t size);
/* Single-bit mask -> index 0..31 for hits[] tables; -1 if not one bit. */
int itl_events_bit(uint32_t mask);

/* ---- buf.c: growable byte buffer (no fixed limits) ------------------ */

struct itl_buf {
	char *data;
	size_t len, cap;
};
int itl_buf_reserve(struct itl_buf *b, size_t extra);
int itl_buf_append(struct itl_buf *b, const void *p, size_t n);
int itl_buf_putc(struct itl_buf *b, char c);
void itl_buf_free(struct itl_buf *b);
/* Touch every page of p[0, n) now, so that it is resident from the start
 * and a big batch later does not look like memory growth. */
void itl_prefault(void *p, size_t n);

/* ---- inotify.c / fanotify.c: context, reading ----------------------- */

enum itl_backend { ITL_INOTIFY, ITL_FANOTIFY };

struct itl_config {
	enum itl_backend backend;
	int filesystem;		/* fanotify: FAN_MARK_FILESYSTEM */
	int track_new_dirs;	/* -m -r: watch dirs created/moved in */
	int scan_new_dirs;	/* report what a new dir already holds */
	int stats;		/* count hits per watch and in total */
	int wait_in_read;	/* itl_next(-1) waits in read(2), not poll(2):
				 * one system call less per wakeup, but a
				 * signal handler with SA_RESTART does not
				 * end the wait */
};

/* A delivered event.  Valid until the next itl_next() or itl_close(). */
struct itl_event {
	int wd;			/* -1 for IN_Q_OVERFLOW */
	uint32_t mask;
	uint32_t cookie;
	uint32_t name_len;	/* strlen(name) */
	const char *name;	/* NUL-terminated, "" when none */
	uint32_t flags;		/* ITL_EVF_* */
	int error;		/* -errno with ITL_EVF_NEWDIR_FAILED */
	/* Kernel-layout record (len covers the padded name), for the
	 * upstream API; synthetic events have one built by the library. */
	struct inotify_event *raw;
};
#define ITL_EVF_SYNTHETIC	0x1u	/* made by the new-dir scan */
#define ITL_EVF_NEWDIR		0x2u	/* a watch was added for dir "name" */
#define ITL_EVF_NEWDIR_FAILED	0x4u	/* adding it failed: see error */

/* cfg may be NULL (inotify, nothing tracked).  With ITL_FANOTIFY: -EPERM
 * without CAP_SYS_ADMIN, -EINVAL before kernel 5.9, -ENOSYS if built without
 * fanotify; paths are then absolute directories with a '/' and names are
 * basenames, own-pid events are skipped, and track_new_dirs and
 * scan_new_dirs are ignored.  track_new_dirs adds CREATE|MOVED_FROM|MOVED_TO
 * to the kernel mask of every watch; scan_new_dirs (with it) reports what a
 * new directory already holds as ITL_EVF_SYNTHETIC events (CREATE, and
 * CLOSE_WRITE for regular files with data), never twice with the kernel's
 * own report of the same entry. */
int itl_open(struct itl **out, const struct itl_config *cfg);
void itl_close(struct itl *ctx);
int itl_fd(const struct itl *ctx);
/* Next event, waiting up to timeout_ms (-1: for ever, 0: poll).  Returns 1
 * and sets *ev, 0 on timeout, -errno on error (EINTR is returned so that a
 * caller can check its signal flags).  Overflow arrives as an event with
 * wd -1 and IN_Q_OVERFLOW.  Regex-filtered events are skipped without
 * restarting the timeout. */
int itl_next(struct itl *ctx, int timeout_ms, const struct itl_event **ev);
/* Nonzero when an event can be returned without reading the kernel again
 * (it looks ahead through what will be filtered out: not free). */
int itl_pending(struct itl *ctx);
/* fn(arg) is called once at the end of each batch read from the kernel:
 * when itl_next() has delivered all of it and is about to wait for more
 * (or to return 0 for timeout 0).  That is where a tool flushes its
 * output.  A negative return (-errno) makes
 * itl_next() return it at once.  fn NULL: none. */
typedef int (*itl_idle_fn)(void *arg);
void itl_set_idle(struct itl *ctx, itl_idle_fn fn, void *arg);
/* A wait in itl_next() (timeout not 0) also ends when fd is readable (a
 * signalfd, a pipe): itl_next() then returns -EINTR and leaves fd as it
 * is.  -1: none. */
void itl_set_wake_fd(struct itl *ctx, int fd);

/* ---- watch.c: watch table (wd <-> path), O(1) by wd ----------------- */

/* Add one watch (no recursion).  path is kept as given; a '/' is appended
 * when lstat says it is a directory.  Same wd twice: the first path stays.
 * Returns 0 or -errno (not the wd: see itl_watch_by_path). */
int itl_watch_add(struct itl *ctx, const char *path, uint32_t mask);
int itl_watch_remove(struct itl *ctx, int wd);
struct itl_watch *itl_watch_by_wd(const struct itl *ctx, int wd);
/* Exact stored path (dirs end in '/'); NULL if none. */
struct itl_watch *itl_watch_by_path(const struct itl *ctx, const char *path);
int itl_watch_wd(const struct itl_watch *w);
/* Full stored path of w ("d/sub/"); pointer valid until the next call that
 * changes watches or renders another path.  *len may be NULL. */
const char *itl_watch_path(struct itl *ctx, const struct itl_watch *w,
    size_t *len);
/* Same, for a wd; "" when unknown. */
const char *itl_wd_path(struct itl *ctx, int wd, size_t *len);
size_t itl_watch_count(const struct itl *ctx);
/* Visit every live watch; stops and returns fn's value when nonzero. */
int itl_watch_foreach(struct itl *ctx,
    int (*fn)(struct itl *, struct itl_watch *, void *), void *arg);
/* Rename: every watch whose path starts with oldprefix gets newprefix. */
int itl_watch_rename_prefix(struct itl *ctx, const char *oldprefix,
    const char *newprefix);

/* ---- walk.c: recursive watches -------------------------------------- */

/* Watch path and every directory below it (symlinks not followed below the
 * top).  excl: exact paths not to descend into (trailing '/' ignored),
 * NULL-terminated or NULL.  EACCES/ENOENT/ELOOP on subdirectories, and
 * ENAMETOOLONG of one whose path is past PATH_MAX, are skipped; ENOSPC is
 * returned as such.  Children get their wds before their
 * parent (post-order, as upstream).  A path that is not a directory is
 * watched as itl_watch_add() would; a symlink given as path is followed and
 * stored with a '/'.  Not atomic: on error, what was added stays. */
int itl_watch_tree(struct itl *ctx, const char *path, uint32_t mask,
    const char *const *excl);

/* ---- filter.c: --exclude/--include regex ---------------------------- */

#define ITL_FILTER_ICASE	0x1
#define ITL_FILTER_INVERT	0x2	/* --include: drop what does NOT match */
#define ITL_FILTER_RECURSIVE	0x4	/* never drop dir CREATE/MOVED_TO */
/* pattern NULL clears.  -EINVAL for a bad regex. */
int itl_filter_set(struct itl *ctx, const char *pattern, int flags);

/* ---- format.c: --format programs, --timefmt, CSV -------------------- */

/* Compile once, render per event.  Directives: %w %f %e %Xe %T %c %0 %n
 * %%; anything else literal; a trailing lone '%' prints '%'.  timefmt is the
 * strftime(3) format for %T (NULL: %T renders ""); its result is cached per
 * second in the format object, so one object is not for concurrent use.
 * -EINVAL for an empty or NULL fmt, -ENOMEM.  In render and csv, ctx may be
 * NULL (%w is then ""); on failure out is left as it was. */
int itl_format_compile(const char *fmt, const char *timefmt,
    struct itl_format **out);
void itl_format_free(struct itl_format *f);
/* Append the rendering of ev to out (%w through itl_wd_path()). */
int itl_format_render(struct itl *ctx, struct itl_format *f,
    const struct itl_event *ev, struct itl_buf *out);
/* Append the CSV line (with '\n') of ev to out: "dir","EVENTS","name"
 * with upstream's quoting (itl_format_csv_field). */
int itl_format_csv(struct itl *ctx, const struct itl_event *ev,
    struct itl_buf *out);
/* Append s quoted as a CSV field (nothing for an empty s). */
int itl_format_csv_field(const char *s, size_t len, struct itl_buf *out);

/* ---- stats.c: statistics --------------------------------------------- */

/* Counters exist when the context was opened with cfg.stats. */
void itl_stats_reset(struct itl *ctx);
/* bit: a single IN_* bit, or 0 for the total.  -EINVAL, -ENOENT. */
long itl_stats_watch(const struct itl *ctx, const struct itl_watch *w,
    uint32_t bit);
long itl_stats_total(const struct itl *ctx, uint32_t bit);
/* Visit every row: live watches (path as rendered now), then watches that
 * were removed after counting something (path as it was last; a row is taken
 * up again when that path is watched again).  hits[] is indexed by bit
 * number (itl_events_bit), total counts every event delivered on the watch
 * (IGNORED included), wd is the watch's (last) wd, for upstream's tie order.
 * fn must not add or remove watches; a nonzero return stops the walk and is
 * returned.  -EINVAL without stats. */
typedef int (*itl_stats_fn)(const char *path, const long *hits, long total,
    int wd, void *arg);
int itl_stats_foreach(struct itl *ctx, itl_stats_fn fn, void *arg);

/* ---- sorted.c: watches sorted by a count (3.22's binary interface) ---- */

/* Exported for prebuilt 3.22 programs (Debian's inotifywatch), which walk
 * the tree themselves; not in the public header. */
struct rbtree;
struct rblists;
struct rbtree *inotifytools_wd_sorted_by_event(int sort_event);
struct rblists *rbopenlist(const struct rbtree *t);
const void *rbreadlist(struct rblists *l);
void rbcloselist(struct rblists *l);
void rbdestroy(struct rbtree *t);
/* The path of a record that rbreadlist() returned; NULL for any other
 * pointer. */
const char *itl_sorted_filename(const void *w);

/* ---- api.c: upstream entry points ----------------------------------- */

struct itl *itl_api_default(void);

#endif /* ITL_H */
