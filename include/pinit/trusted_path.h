/* trusted_path.h - open a path as root without acting through what another user planted.
 *
 * pinit runs as root and opens files in directories other users own (the Flink home and
 * conf dir belong to `flink`; a secret's directory may be anyone's).  The kernel follows
 * symbolic links wherever they are, so a user who can write one of those directories could
 * make root read, or write, any file.  trusted_path_open() resolves a path one component
 * at a time (openat with O_NOFOLLOW, never the kernel's own link walk) and follows a
 * symbolic link only when:
 *
 *   - root owns the link, and
 *   - no other user can replace it: the directory holding it is on a read-only mount, or
 *     belongs to root and is not writable by group or others (or is sticky).
 *
 * So a Kubernetes ConfigMap or Secret volume (root-owned `..data` links on a read-only
 * mount: config.yaml -> ..data/config.yaml, ..data -> ..2024_xx) and a Docker secret (a
 * plain file in /run/secrets) work, and a link a user made, or could swap, is refused.
 * The final object is also refused when it is a regular file with more than one hard
 * link, owned by someone else than its directory's owner, in a directory another user can
 * write (a hard link planted to a file that user cannot read).
 *
 * A link is read through an O_PATH descriptor of the link itself, so the link that was
 * checked is the link that is followed (no check-then-use race).  Directories on the way
 * are opened O_PATH|O_NOFOLLOW.  At most TRUSTED_PATH_MAX_LINKS links per call.
 */
#ifndef PINIT_TRUSTED_PATH_H
#define PINIT_TRUSTED_PATH_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define TRUSTED_PATH_MAX_LINKS 40

/* Why a link or file was refused (filled when errno is ELOOP or EPERM from the calls
 * below and the reason is the rule above). */
struct trusted_path_refusal {
  char name[256];     /* the component refused, as written in the path or link */
  uid_t uid;          /* its owner */
  const char *why;    /* static text: "a symbolic link not owned by root", ... */
};

/* Open path (absolute, or relative to dirfd; dirfd may be AT_FDCWD) with flags
 * (O_CLOEXEC and O_NOFOLLOW are added; O_CREAT is not supported: create with openat()
 * on a trusted directory descriptor), following only the links the rule above allows.
 * Returns the descriptor; or -1 with errno: ELOOP a link was refused or too many links
 * (*why filled when not NULL and the reason is the rule), EPERM a hard-linked file was
 * refused (*why filled), EINVAL O_CREAT was passed, ENOENT an empty path or an empty link,
 * ENAMETOOLONG a path (or path plus link target) of PATH_MAX or more, or the errno of
 * openat/readlinkat/fstat (ENOENT, ENOTDIR, EACCES...).  *why is left as it was when the
 * failure is not a refusal: initialise why->why to NULL to tell the two apart.
 * Blocks on file-system I/O only (pass O_NONBLOCK so a FIFO cannot block the open). */
int trusted_path_open(int dirfd, const char *path, int flags, struct trusted_path_refusal *why);

/* The one-line reason for a failed trusted_path_open() with errno `err`, into buf (cut to
 * cap, always NUL-terminated when cap > 0): "NAME (owner uid U): refused: WHY" when `why`
 * holds a refusal, else strerror(err).  Returns buf.  Pure but for strerror. */
const char *trusted_path_describe(int err, const struct trusted_path_refusal *why, char *buf, size_t cap);

/* 1 when no user but root can add, remove or rename entries of the directory dfd (any
 * descriptor, O_PATH too): on a read-only mount, or owned by root without group/other
 * write (or sticky).  0 otherwise, and on fstat failure.  Never blocks but on I/O. */
int trusted_path_dir_is_root_only(int dfd);

#endif
