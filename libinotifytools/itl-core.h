/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * itl-core.h: the private layout of struct itl and the helpers the library
 * files share.  Not for the tools: they use itl.h only.
 *
 * Watches are nodes in a forest: a root holds the path as given (plus '/'
 * for a directory), a child holds its entry name and the id of its parent,
 * so renaming a directory renames every descendant at once.  Nodes are
 * addressed by a 32-bit id (ctx->node[id]); the wd table and the optional
 * (parent, name) index store ids in open-addressing tables.
 */
#ifndef ITL_CORE_H
#define ITL_CORE_H

#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/types.h>

#include "itl.h"

#define ITL_NONE	UINT32_MAX
#define ITL_RAW_SIZE	(256 * 1024)
#define ITL_DENTS_SIZE	(32 * 1024)
#define ITL_TRACK_BITS	(IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO)
#define ITL_NBITS	32

struct itl_watch {
	uint32_t parent;	/* node id; ITL_NONE for a root */
	int wd;			/* -2: pending (not watched yet);
				 * -1: dropped, kept while children
				 * need it */
	uint32_t nchild;	/* nodes whose parent this is */
	uint16_t len;		/* strlen(name) */
	uint8_t self;		/* our read of it is still in the stream */
	char name[];		/* root: stored path; child: entry name */
};

/* Open-addressing table of ids (slot = id + 1, 0 = empty), linear probing,
 * backward-shift deletion: no tombstones, so churn does not grow it. */
struct itl_tab {
	uint32_t *slot;
	uint32_t cap;		/* power of two, or 0 */
	uint32_t count;
};
typedef uint32_t (*itl_tab_hash_fn)(const struct itl *, uint32_t id);

/* Header of a synthetic event in ctx->synth. */
struct itl_synth {
	uint32_t flags;
	int error;
	uint32_t size;		/* whole record: header + event + name */
	uint32_t pad;
	struct inotify_event ev;
};

/* A name the new-directory scan reported, so that the kernel's own event
 * for it, queued before the scan ended, is not reported twice. */
struct itl_seen {
	int wd;
	uint32_t kind;		/* IN_CREATE or IN_CLOSE_WRITE */
	uint32_t off, len;	/* name in ctx->seen_names */
	uint32_t used;
};

/* A new directory whose watch could not be added because an ancestor was
 * renamed before we got to it: tried again once that rename is seen. */
struct itl_retry {
	int pwd;		/* its parent's wd, to check pid is still it */
	uint32_t pid;
	uint32_t off, len;	/* name in ctx->retry_names */
};

/* The last event kept in the scan's window, to merge an identical one that
 * only our own events (dropped) separate from it. */
struct itl_self_prev {
	int valid, gap;
	int wd;
	uint32_t mask, cookie, len;
	char name[NAME_MAX + 1];
};

/* Counters of one watch: made on its first counted event.  Columns are the
 * bits upstream counts (IN_ALL_EVENTS, IN_UNMOUNT); unsigned int as
 * upstream's. */
#define ITL_STAT_COLS	13
struct itl_stat_row {
	uint32_t hits[ITL_STAT_COLS];
	uint32_t total;		/* every event, IGNORED included */
	int wd;			/* last wd */
	char *path;		/* set while retired (watch removed) */
};

struct itl_stats {
	long hits[ITL_NBITS];
	long total;
	uint32_t *row_of;	/* node id -> row index + 1 */
	uint32_t row_cap;
	struct itl_stat_row **row;
	uint32_t nrow, row_alloc;
	uint32_t nfree_hint;	/* no free row below this */
	struct itl_tab retired;	/* path -> row index */
};

/*
 * A reader: the kernel interface behind a context.  Everything above it
 * (watch table, recursion, filters, statistics) sees inotify-layout
 * records and wds.  Calls return 0 (or a count) or -errno.
 */
struct itl_reader {
	/* Make ctx->fd and the reader's own state. */
	int (*open)(struct itl *);
	void (*free)(struct itl *);
	/* Watch path (one object, no recursion) with the kernel mask: *wd
	 * is its wd; the same object twice gives the same wd. */
	int (*add)(struct itl *, const char *path, uint32_t mask, int *wd);
	/* Stop watching wd; -EINVAL when the kernel had dropped it. */
	int (*remove)(struct itl *, int wd);
	/* Read a batch into ctx->raw as inotify records: their size (0 when
	 * every event was filtered out), *drained when the kernel queue was
	 * found empty.  Blocks if nothing is queued. */
	ssize_t (*read)(struct itl *, int *drained);
	/* The name a root watch of path is stored under (no trailing '/'),
	 * into out: the path as given, or its absolute form. */
	int (*resolve)(struct itl *, const char *path, uint32_t mask,
	    struct itl_buf *out);
	/* Our own reads of a new directory reach us as events. */
	int own_events;
	/* MOVED_FROM and MOVED_TO carry the cookie that pairs them. */
	int cookies;
	/* An entry's events are counted on a row of its own, named by the
	 * directory's path and the entry's name, as upstream's fanotify
	 * mode (a watch per name) counts them. */
	int rows_by_name;
};
extern const struct itl_reader itl_inotify_reader, itl_fanotify_reader;

struct itl {
	struct itl_config cfg;
	const struct itl_reader *rd;
	int fd;
	uint32_t extra_mask;	/* bits the context adds to every watch */
	uint32_t tree_mask;	/* kernel mask for new directories */

	struct itl_watch **node; /* by id; a free slot holds (next << 1) | 1 */
	uint32_t nnode, node_cap, free_id;
	size_t live;		/* nodes with a wd */
	struct itl_tab bywd;
	struct itl_tab byname;	/* built on first use */
	int byname_on;

	struct itl_buf path;	/* last rendered path (NUL-terminated) */
	uint32_t path_id;	/* whose path is in it, ITL_NONE */
	struct itl_buf walk;	/* paths during walks */
	struct itl_buf names;	/* entry names during walks */
	struct itl_buf tmp;	/* filter subject, misc. */

	/* reading */
	size_t pos, end;	/* records in raw[pos, end) */
	size_t ok_pos;		/* record known to be deliverable, or SIZE_MAX */
	int ok_known;		/* ok_pos is up to date (see itl_pending) */
	int drained;		/* the last read found the queue empty */
	int batch_open;		/* read since the last batch end */
	itl_idle_fn idle;	/* called before waiting for the kernel */
	void *idle_arg;
	int wake_fd;		/* also ends a wait, or -1 */
	struct itl_buf synth;	/* queued synthetic events */
	size_t synth_head;
	struct itl_event ev;
	int drop_wd;		/* IGNORED: remove after delivery, or -1 */
	int mv_wd;		/* pending MOVED_FROM|ISDIR: parent wd, or -1 */
	uint32_t mv_cookie;
	uint32_t mv_id;		/* its watched node, or ITL_NONE */
	int mv_node_wd;		/* that node's wd, to check it is still it */
	int mv_self;		/* its own MOVE_SELF came: it left the tree */
	uint64_t stream_base;	/* bytes read from the kernel before raw[] */
	uint64_t seen_until;	/* where the scan's duplicates can end */
	uint32_t dup_id;	/* watch_new found its wd on this node */
	struct itl_buf retry;	/* struct itl_retry[]: new dirs not found */
	struct itl_buf retry_names;
	struct itl_buf seen;	/* struct itl_seen[] */
	struct itl_buf seen_names;
	struct itl_tab seen_tab;
	size_t self_count;	/* nodes whose read is in the stream */
	struct itl_self_prev self_prev;

	/* filter */
	regex_t re;
	int re_on, re_flags;

	struct itl_stats *stats;
	struct itl_fan *fan;	/* fanotify back-end state */

	_Alignas(struct inotify_event) char raw[ITL_RAW_SIZE];
	_Alignas(uint64_t) char dents[ITL_DENTS_SIZE];	/* see dirents.c */
};

/* inotify.c: the record at ctx->raw[pos] after bounds and NUL checks, or
 * NULL; whether a record is a queue overflow. */
struct inotify_event *itl_raw_record(struct itl *, size_t pos);
int itl_raw_overflow(const struct inotify_event *);

/* dirents.c: a directory's entries other than . and .., read into
 * ctx->dents; one directory at a time.  At the end (NULL), error is 0 or
 * -errno. */
struct itl_dirent {
	const char *name;
	unsigned char type;	/* DT_* as the kernel gives it */
};
struct itl_dir {
	int fd;
	size_t pos, end;
	int error;
	struct itl_dirent cur;
};
void itl_dir_start(struct itl_dir *, int fd);
const struct itl_dirent *itl_dir_next(struct itl *, struct itl_dir *);

/* tab.c: tables of ids.  find gives the id whose eq(key) holds (and its
 * slot), or ITL_NONE; insert and delete take the hash function to move
 * entries when the table grows or shrinks; next gives the stored ids one by
 * one from *pos (start at 0), ITL_NONE at the end: no insert or delete
 * between two calls. */
uint32_t itl_tab_find(const struct itl *, const struct itl_tab *, uint32_t h,
    int (*eq)(const struct itl *, uint32_t, const void *), const void *key,
    uint32_t *slot);
int itl_tab_insert(struct itl *, struct itl_tab *, uint32_t h, uint32_t id,
    itl_tab_hash_fn);
void itl_tab_delete(struct itl *, struct itl_tab *, uint32_t slot,
    itl_tab_hash_fn);
uint32_t itl_tab_next(const struct itl_tab *, uint32_t *pos);
void itl_tab_free(struct itl_tab *);
uint32_t itl_tab_hash_str(const char *s, size_t len, uint32_t seed);

/* watch.c: nodes */
struct itl_watch *itl_node(const struct itl *, uint32_t id);
uint32_t itl_node_new(struct itl *, uint32_t parent, const char *name,
    size_t len);
int itl_node_bind(struct itl *, uint32_t id, int wd);
void itl_node_drop(struct itl *, uint32_t id);
/* The same, for a watch that left the tree: its statistics row goes too. */
void itl_node_forget(struct itl *, uint32_t id);
uint32_t itl_node_by_wd(const struct itl *, int wd);
uint32_t itl_node_child(struct itl *, uint32_t parent, const char *name,
    size_t len);
int itl_node_move(struct itl *, uint32_t id, uint32_t parent,
    const char *name, size_t len);
const char *itl_node_path(struct itl *, uint32_t id, size_t *len);
int itl_node_is_below(const struct itl *, uint32_t id, uint32_t top);
void itl_nodes_free(struct itl *);

/* walk.c: the initial walk, and the path and name stacks (ctx->walk,
 * ctx->names) the new-directory scan shares with it. */
int itl_walk_skippable(int r);	/* an error that skips a directory */
int itl_walk_entry_type(int dfd, const struct itl_dirent *, off_t *size);
int itl_walk_push_name(struct itl *, const char *name);
int itl_walk_push(struct itl *, const char *name, size_t len, int slash);
void itl_walk_pop(struct itl *, size_t base);

/* seen.c: what the scan reported, against the kernel's repeats.  dup:
 * is the record at stream offset at one (with consume, each matches once);
 * window: the repeats end where the kernel queue ends now. */
void itl_seen_add(struct itl *, int wd, uint32_t kind, const char *name,
    size_t len);
int itl_seen_dup(struct itl *, const struct inotify_event *, uint64_t at,
    int consume);
void itl_seen_window(struct itl *);
void itl_seen_free(struct itl *);

/* self.c: the events of our own read of a new directory.  skips: is the
 * record one (st: the merge state, ctx->self_prev or a look-ahead copy;
 * with consume, the directory's CLOSE_NOWRITE ends its dropping). */
void itl_self_add(struct itl *, uint32_t id);
int itl_self_skips(struct itl *, const struct inotify_event *,
    struct itl_self_prev *st, int consume);
void itl_self_reset(struct itl *);

/* recurse.c: what the reader calls.  drops: is record ie (at stream offset
 * at) dropped before the filter: its watch is gone (or, looking ahead, in
 * the subtree an unpaired MOVED_FROM takes away), it is our own read's, or
 * it repeats the scan.  look NULL: the record is being delivered (state
 * changes); else a look ahead from ctx->pos with its own copy of the state,
 * made by look_start.  event: the record's effect on the tree (new, moved
 * directories).  batch_end: the kernel queue was found empty. */
struct itl_look {
	struct itl_self_prev self;
	uint32_t gone;
	int first;
};
void itl_recurse_look_start(const struct itl *, struct itl_look *);
int itl_recurse_drops(struct itl *, const struct inotify_event *ie,
    uint64_t at, struct itl_look *look);
void itl_recurse_event(struct itl *, struct itl_event *);
void itl_recurse_overflow(struct itl *);
void itl_recurse_batch_end(struct itl *);
int itl_recurse_move_pending(const struct itl *);
void itl_recurse_free(struct itl *);

/* filter.c */
int itl_filter_drops(struct itl *, const struct itl_event *);
int itl_filter_set_raw(struct itl *, const char *, int cflags, int flags);
void itl_filter_free(struct itl *);

/* inotify.c: the one writer of synthetic records, into ctx->synth
 * (delivered before the rest of the batch).  0 or -ENOMEM. */
int itl_synth_push(struct itl *, int wd, uint32_t mask, const char *name,
    uint32_t flags, int error);
/* Make an inotify record at raw[at] (name may be NULL); its size, which
 * is at most room, or 0 when it does not fit. */
size_t itl_raw_put(struct itl *, size_t at, size_t room, int wd,
    uint32_t mask, uint32_t cookie, const char *name, size_t len);

/* stats.c */
int itl_stats_init(struct itl *);
void itl_stats_free(struct itl *);
int itl_stats_attach(struct itl *, uint32_t id);
void itl_stats_retire(struct itl *, uint32_t id, int forget);
void itl_stats_record(struct itl *, const struct itl_event *);

#endif /* ITL_CORE_H */
