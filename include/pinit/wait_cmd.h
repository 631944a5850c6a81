/* wait_cmd.h - `pinit wait [OPTIONS] [TARGET...]`: wait for dependencies, then exit.
 *
 *   -t, --timeout D           overall time limit (default 5m; 0 = forever)
 *   -i, --interval D          retry interval per target (default 1s)
 *   -a, --attempt-timeout D   limit of one attempt (default 5s)
 *   -q, --quiet               only errors (default: progress at info level)
 *   -h, --help
 * D is a duration ("500ms", "10s", "2m").  TARGETs as in probe.h.  Without TARGETs the
 * lists PINIT_WAIT and SERVICE_PRECONDITION from envp are used (both, if both are set).
 */
#ifndef PINIT_WAIT_CMD_H
#define PINIT_WAIT_CMD_H

/* argv[0] is the subcommand ("wait"); options and targets follow.  Runs the default libev
 * loop until done and returns the exit code: 0 all targets up; 69 timed out (one error
 * line names the missing targets); 64 usage error or unparsable target (one line names
 * it); 128+signal (143, 130) when SIGTERM or SIGINT arrives; 70 if libcurl or libev cannot
 * be initialised.  Sets the log level (info, or error with -q).  Never exits the process. */
int cmd_wait(int argc, char **argv, char **envp);

#endif
