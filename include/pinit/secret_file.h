/* secret_file.h - NAME_FILE=/path sets NAME from a file (Docker and Kubernetes secrets).
 *
 * pinit reads these files as root, before anything starts, so the file is opened with
 * trusted_path_open() (pinit/trusted_path.h: only root-owned links in directories no other
 * user can change are followed; a Kubernetes secret volume's ..data links and a Docker
 * secret in /run/secrets work), O_NONBLOCK (a FIFO cannot hang PID 1), and must be a
 * regular file of at most SECRET_FILE_MAX bytes.
 */
#ifndef PINIT_SECRET_FILE_H
#define PINIT_SECRET_FILE_H

#include <stddef.h>

#define SECRET_FILE_MAX (64u << 10)   /* bytes; larger files are refused */

/* Read the secret at path into a malloc'd NUL-terminated buffer (*out, the caller frees;
 * one trailing "\n" or "\r\n" removed).  Returns 0; or -1 with errno (EINVAL: not a
 * regular file, EFBIG: larger than SECRET_FILE_MAX, ELOOP/EPERM: a link or hard link
 * refused, ENOMEM, or open/read's errno) and, when msg is not NULL, a reason in msg (never the
 * contents).  Blocks on file I/O only. */
int secret_file_read(const char *path, char **out, size_t *len, char *msg, size_t cap);

/* For every NAME_FILE=/path of the environment block env where NAME looks secret
 * (log_is_secret_name) or the path is under /run/secrets/, set NAME in env to the file's
 * contents unless NAME is already set (PINIT_* variables are pinit's own and skipped).
 * All of them, however many.  Returns 0; or -1 with msg "NAME_FILE: path: reason" (never
 * the contents) and env possibly partly set (the caller exits 78 before anything starts).
 * The process environment is not touched. */
struct env_block;
int secret_file_load(struct env_block *env, char *msg, size_t cap);

#endif
