/* clockstep.c - an LD_PRELOAD shim for the clock tests: it steps the wall clock.
 *
 * clock_gettime(CLOCK_REALTIME[_COARSE]), gettimeofday(), time() and timespec_get() return the real time
 * plus the whole number of seconds (may be negative) written in the file named by
 * CLOCKSTEP_FILE, read again on every call, so a test steps the clock of a running
 * pinit by rewriting that file, as an NTP step or `date -s` would.  CLOCK_MONOTONIC and
 * every other clock pass through untouched.  Test-only: never part of the binary. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static long offset_s(void)
{
  const char *path = getenv("CLOCKSTEP_FILE");
  char buf[32];
  ssize_t n;
  int fd;

  if(!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return 0;
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if(n <= 0)
    return 0;
  buf[n] = '\0';
  return strtol(buf, NULL, 10);
}

static int real_clock_gettime(clockid_t id, struct timespec *ts)
{
  static clock_gettime_fn next;
  if(!next)
    next = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
  return next(id, ts);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
  int rc = real_clock_gettime(id, ts);
  if(rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
    ts->tv_sec += offset_s();
  return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
  struct timespec ts;
  (void)tz;
  if(clock_gettime(CLOCK_REALTIME, &ts) < 0)
    return -1;
  {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return 0;
}

time_t time(time_t *t)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if(t)
    *t = ts.tv_sec;
  return ts.tv_sec;
}

int timespec_get(struct timespec *ts, int base)
{
  if(base != TIME_UTC || clock_gettime(CLOCK_REALTIME, ts) < 0)
    return 0;
  return base;
}
