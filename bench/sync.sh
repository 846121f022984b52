#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sync.sh: replication benchmark of the backup pipeline (see README.md).
set -euo pipefail
echo "sync.sh: not written yet" >&2
exit 1
