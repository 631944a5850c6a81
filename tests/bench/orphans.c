/* orphans.c - the benchmark's reaping load; same method as orphans.py, in C so that the
 * workers cost next to nothing to create and to tear down (the measure is the init's).
 *
 * Run as the child of an init that is PID 1 of a fresh PID namespace:
 *   orphans [N]   make N orphans of the init that exit at the same moment; print
 *                 "reaped N orphans in X ms" once /proc lists no more processes than before.
 * An intermediate process forks N workers blocked in read() on a pipe and exits, so they are
 * reparented to the init; closing our write end (the only one) wakes them all (EOF).
 * A zombie stays in /proc until reaped, so the count of /proc entries is the reap clock.
 * Exit 0, or 1 if they are not all gone within 60 s.
 *
 * Build: cc -O2 -static -o orphans orphans.c   (bench.sh does it)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int nprocs(void)
{
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  if (!d) {
    perror("orphans: /proc");
    exit(2);
  }
  while ((e = readdir(d)) != NULL)
    if (isdigit((unsigned char)e->d_name[0]))
      n++;
  closedir(d);
  return n;
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  int baseline = nprocs(), fds[2];
  pid_t mid;
  if (pipe(fds) != 0) {
    perror("orphans: pipe");
    return 2;
  }
  mid = fork();
  if (mid < 0) {
    perror("orphans: fork");
    return 2;
  }
  if (mid == 0) {
    close(fds[1]);
    for (int i = 0; i < n; i++) {
      pid_t w = fork();
      if (w == 0) {
        char c;
        while (read(fds[0], &c, 1) > 0)
          ;
        _exit(0);
      }
      if (w < 0) {
        perror("orphans: fork worker");
        _exit(2);
      }
    }
    _exit(0);
  }
  close(fds[0]);
  int st;
  waitpid(mid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "orphans: could not start %d workers\n", n);
    return 2;
  }
  double t0 = now_ms();
  close(fds[1]);
  while (nprocs() > baseline) {
    if (now_ms() - t0 > 60000) {
      fprintf(stderr, "orphans: %d not reaped after 60 s\n", nprocs() - baseline);
      return 1;
    }
    usleep(200);
  }
  printf("reaped %d orphans in %.1f ms\n", n, now_ms() - t0);
  return 0;
}
