/* runrss.c - run a command N times; print the median CPU time (ms) and the median peak RSS
 * (KB) of the command itself.  A small static C runner on purpose: ru_maxrss counts what the
 * child held before exec too, and a forked Python would add its own ~15 MB.
 *   runrss N COMMAND [ARG...]   ->   "cpu_ms=0.31 rss_kb=412" */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  int n = argc > 2 ? atoi(argv[1]) : 0;
  double *cpu, *rss;
  if(n < 1) {
    fprintf(stderr, "usage: runrss N COMMAND [ARG...]\n");
    return 64;
  }
  cpu = calloc((size_t)n, sizeof(double));
  rss = calloc((size_t)n, sizeof(double));
  for(int i = 0; i < n; i++) {
    struct rusage ru;
    int status;
    pid_t pid = fork();
    if(pid == 0) {
      int null = open("/dev/null", 1);
      dup2(null, 1);
      dup2(null, 2);
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    if(pid < 0 || wait4(pid, &status, 0, &ru) < 0)
      return 1;
    if(!WIFEXITED(status) || WEXITSTATUS(status)) {
      fprintf(stderr, "runrss: %s failed (status 0x%x)\n", argv[2], status);
      return 1;
    }
    cpu[i] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    rss[i] = (double)ru.ru_maxrss;
  }
  qsort(cpu, (size_t)n, sizeof(double), cmp);
  qsort(rss, (size_t)n, sizeof(double), cmp);
  printf("cpu_ms=%.3f rss_kb=%.0f\n", cpu[n / 2], rss[n / 2]);
  return 0;
}
