/* secret_file.c - NAME_FILE secrets read as root without trusting the path.
 * See include/pinit/secret_file.h. */
#include "pinit/secret_file.h"
#include "pinit/env.h"
#include "pinit/env_block.h"
#include "pinit/log.h"
#include "pinit/trusted_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *msg, size_t cap, int err, const char *fmt, const char *arg)
{
  if(msg)
    snprintf(msg, cap, fmt, arg);
  errno = err;
  return -1;
}

int secret_file_read(const char *path, char **out, size_t *len, char *msg, size_t cap)
{
  struct trusted_path_refusal why = {.why = NULL};
  struct stat st;
  size_t n = 0;
  char *buf;
  int fd, saved;

  fd = trusted_path_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &why);
  if(fd < 0) {
    saved = errno;
    if(msg)
      trusted_path_describe(saved, &why, msg, cap);
    errno = saved;
    return -1;
  }
  if(fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    saved = errno;
    close(fd);
    return fail(msg, cap, S_ISREG(st.st_mode) ? saved : EINVAL, "%s",
                S_ISREG(st.st_mode) ? strerror(saved) : "not a regular file");
  }
  if(!(buf = malloc(SECRET_FILE_MAX + 2))) {
    close(fd);
    return fail(msg, cap, ENOMEM, "%s", strerror(ENOMEM));
  }
  for(;;) {                     /* read to the end: the size may change under us */
    ssize_t r = read(fd, buf + n, SECRET_FILE_MAX + 1 - n);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0) {
      saved = errno;
      free(buf);
      close(fd);
      return fail(msg, cap, saved, "%s", strerror(saved));
    }
    if(r == 0)
      break;
    n += (size_t)r;
    if(n > SECRET_FILE_MAX) {
      free(buf);
      close(fd);
      return fail(msg, cap, EFBIG, "%s", "larger than 64 KiB");
    }
  }
  close(fd);
  if(n && buf[n - 1] == '\n')
    n--;
  if(n && buf[n - 1] == '\r')
    n--;
  buf[n] = 0;
  *out = buf;
  *len = n;
  return 0;
}

/* Is the environment entry e a NAME_FILE=path pinit should load?  Sets the name's length
 * (without "_FILE"). */
static int is_secret_file_var(const char *e, size_t *nlen)
{
  const char *eq = strchr(e, '='), *path;
  size_t n;
  char target[256];
  if(!eq || (n = (size_t)(eq - e)) <= 5 || strncmp(eq - 5, "_FILE", 5) || !strncmp(e, "PINIT_", 6))
    return 0;
  path = eq + 1;
  if(!*path)
    return 0;
  *nlen = n - 5;
  /* only Docker-secret style variables: a secret-looking NAME or a file under
   * /run/secrets; SSL_CERT_FILE, TF_CLI_CONFIG_FILE and friends are left alone */
  if(!strncmp(path, "/run/secrets/", 13))
    return 1;
  snprintf(target, sizeof(target), "%.*s", (int)*nlen, e);
  return log_is_secret_name(target);
}

int secret_file_load(struct env_block *env, char *msg, size_t cap)
{
  char **names = NULL;
  size_t count = 0, total = 0;
  int rc = 0;

  for(char **e = env->v; e && *e; e++) {
    size_t nlen;
    total += (size_t)is_secret_file_var(*e, &nlen);
  }
  if(!total)
    return 0; /* the usual case: nothing allocated, nothing touched */
  /* collect first: env_block_set() may move env->v */
  if(!(names = calloc(total, sizeof(*names))))
    return fail(msg, cap, ENOMEM, "*_FILE: %s", strerror(ENOMEM));
  for(char **e = env->v; e && *e && count < total; e++) {
    size_t nlen;
    if(is_secret_file_var(*e, &nlen)) {
      if(!(names[count] = strndup(*e, nlen + 5))) {
        rc = fail(msg, cap, ENOMEM, "*_FILE: %s", strerror(ENOMEM));
        goto done;
      }
      count++;
    }
  }
  for(size_t i = 0; i < count; i++) {
    const char *path = env_get(env->v, names[i]);
    char why[400], *val;
    size_t vlen;
    names[i][strlen(names[i]) - 5] = 0;            /* NAME_FILE -> NAME */
    if(env_get(env->v, names[i]) || !path)
      continue; /* an explicit value wins */
    if(secret_file_read(path, &val, &vlen, why, sizeof(why)) < 0) {
      int saved = errno;
      if(msg)
        snprintf(msg, cap, "%.100s_FILE: %.200s: %s", names[i], path, why);
      errno = saved;
      rc = -1;
      goto done;
    }
    if(env_block_set(env, names[i], val) < 0) {
      int saved = errno;
      free(val);
      if(msg)
        snprintf(msg, cap, "%.100s: %s", names[i], strerror(saved));
      errno = saved;
      rc = -1;
      goto done;
    }
    free(val);
  }
done:
  for(size_t i = 0; i < count; i++)
    free(names[i]);
  free(names);
  return rc;
}
