/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libinotifytools: the public, upstream-compatible interface.
 *
 * Source-compatible with inotify-tools 4.25.9.0's <inotifytools/inotifytools.h>.
 * Return conventions follow upstream: 1 on success and 0 on failure unless
 * stated otherwise; inotifytools_error() reports the errno of the failure.
 * See libinotifytools(3).
 */
#ifndef INOTIFYTOOLS_INOTIFYTOOLS_H
#define INOTIFYTOOLS_INOTIFYTOOLS_H

#include <stddef.h>
#include <stdio.h>

#include <inotifytools/inotify.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_STRLEN 4096

/* Output of the sprintf family: may hold NUL bytes, is not NUL-terminated. */
struct nstring {
	char buf[MAX_STRLEN];
	unsigned int len;
};

struct inotify_event;
struct watch;

int inotifytools_initialize(void);
int inotifytools_init(int fanotify, int watch_filesystem, int verbose);
void inotifytools_cleanup(void);

int inotifytools_watch_file(char const *filename, int events);
int inotifytools_watch_files(char const *filenames[], int events);
int inotifytools_watch_recursively(char const *path, int events);
int inotifytools_watch_recursively_with_exclude(char const *path, int events,
    char const **exclude_list);
int inotifytools_remove_watch_by_wd(int wd);
int inotifytools_remove_watch_by_filename(char const *filename);

const char *inotifytools_filename_from_wd(int wd);
int inotifytools_wd_from_filename(char const *filename);
const char *inotifytools_filename_from_watch(struct watch *w);
const char *inotifytools_dirname_from_event(struct inotify_event *event,
    size_t *dirnamelen);
const char *inotifytools_filename_from_event(struct inotify_event *event,
    char const **eventname, size_t *dirnamelen);
char *inotifytools_dirpath_from_event(struct inotify_event *event);
void inotifytools_set_filename_by_wd(int wd, char const *filename);
void inotifytools_set_filename_by_filename(char const *oldname,
    char const *newname);
void inotifytools_replace_filename(char const *oldname, char const *newname);

int inotifytools_ignore_events_by_regex(char const *pattern, int flags,
    int recursive);
int inotifytools_ignore_events_by_inverted_regex(char const *pattern,
    int flags, int recursive);

struct inotify_event *inotifytools_next_event(long int timeout);
struct inotify_event *inotifytools_next_events(long int timeout,
    int num_events);
int inotifytools_error(void);

char *inotifytools_event_to_str(int events);
char *inotifytools_event_to_str_sep(int events, char sep);
int inotifytools_str_to_event(char const *event);
int inotifytools_str_to_event_sep(char const *event, char sep);

int inotifytools_printf(struct inotify_event *event, const char *fmt);
int inotifytools_fprintf(FILE *file, struct inotify_event *event,
    const char *fmt);
int inotifytools_sprintf(struct nstring *out, struct inotify_event *event,
    const char *fmt);
int inotifytools_snprintf(struct nstring *out, int size,
    struct inotify_event *event, const char *fmt);
void inotifytools_set_printf_timefmt(const char *fmt);
void inotifytools_clear_timefmt(void);

void inotifytools_initialize_stats(void);
int inotifytools_get_stat_by_wd(int wd, int event);
int inotifytools_get_stat_total(int event);
int inotifytools_get_stat_by_filename(char const *filename, int event);

int inotifytools_get_num_watches(void);
int inotifytools_get_max_user_watches(void);
int inotifytools_get_max_user_instances(void);
int inotifytools_get_max_queued_events(void);

#ifdef __cplusplus
}
#endif

#endif /* INOTIFYTOOLS_INOTIFYTOOLS_H */
