/* SPDX-License-Identifier: GPL-2.0-or-later */
/* As upstream ships it: the IN_* constants and struct inotify_event. */
#ifndef INOTIFYTOOLS_INOTIFY_H
#define INOTIFYTOOLS_INOTIFY_H
#include <sys/inotify.h>
#endif
