/* flink_resume.h - which savepoint or retained checkpoint an application-mode JobManager
 * resumes from when it starts without HA.
 *
 * Candidates, each a directory holding a complete `_metadata` (a regular file, not a link,
 * not empty; a directory without one is a checkpoint or savepoint still being written, or
 * one that failed, and is skipped):
 *   SAVEPOINT_DIR/<any name>/_metadata            (Flink names them savepoint-<job>-<id>)
 *   CHECKPOINT_DIR/<job id>/chk-<N>/_metadata     (any job id: every start without HA has a
 *                                                  new random job id)
 * The newest is the one whose `_metadata` was modified last; on a tie a savepoint wins over
 * a checkpoint, then the higher chk-N, then the greater name.
 *
 * Directories are given as Flink writes them: "file:///x", "file:/x" or "/x".  Another
 * scheme (s3://, hdfs://) cannot be looked at and is reported in `why`.
 *
 * Trust: pinit may run as root while these directories belong to the flink user.  Every
 * level below the configured directory is opened with openat(O_NOFOLLOW|O_DIRECTORY) and
 * `_metadata` is checked with fstatat(AT_SYMLINK_NOFOLLOW): a symbolic link planted in
 * them is never followed (it is skipped); the configured directory itself must not be a
 * link either.  An entry that cannot be opened or read is skipped.
 *
 * Blocking: reads directories (bounded: at most FLINK_RESUME_SCAN_MAX entries per level);
 * call before the child is spawned, never from a probe callback on a busy loop.
 */
#ifndef PINIT_FLINK_RESUME_H
#define PINIT_FLINK_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "pinit/flink_rest.h"

#define FLINK_RESUME_SCAN_MAX 10000

struct flink_resume_pick {
  char path[FLINK_PATH_MAX];    /* local directory to pass to --fromSavepoint */
  int savepoint;                /* 1 savepoint, 0 retained checkpoint */
  int64_t mtime_ns;             /* of its _metadata (wall clock, for display and ordering) */
  long chk;                     /* checkpoint number, -1 for a savepoint */
};

/* Look under savepoint_dir and checkpoint_dir (either may be NULL or "") for the newest
 * complete candidate.  Returns 1 with *out filled, 0 if there is none (why: a short reason,
 * e.g. "no complete savepoint or checkpoint"), never -1: unreadable places are skipped and
 * named in why ("s3://b/x: not a local directory").  why may be NULL. */
int flink_resume_find(const char *savepoint_dir, const char *checkpoint_dir, struct flink_resume_pick *out,
                      char *why, size_t cap);

/* Pure: the local path of a Flink directory URI ("file:///x" and "file:/x" give "/x", "/x"
 * stays), or NULL for another scheme or an empty or relative path. */
const char *flink_resume_local(const char *uri);

/* Pure: 1 if the role's arguments already name a savepoint (--fromSavepoint PATH,
 * --fromSavepoint=PATH, -s PATH, -Dexecution.savepoint.path=PATH), else 0. */
int flink_resume_explicit(char *const *argv);

#endif
