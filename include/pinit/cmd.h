/* cmd.h - every subcommand `pinit X` has one entry point here:
 *     int X_cmd(int argc, char **argv, char **envp);
 * argv[0] is the subcommand's name, envp the process environment.  Each returns the process
 * exit code (exitcode.h) and never exits the process itself; main.c only dispatches.
 * X_cmd lives in init/X_cmd.c, or in the module's own *_cmd.c file (control_cmd.c holds the
 * four control-socket clients), or in the module when the module is the command (flink.c).
 * Supervising a command (`pinit [OPTIONS] CMD...`, no subcommand) is supervisor_run(). */
#ifndef PINIT_CMD_H
#define PINIT_CMD_H

/* init/control_cmd.c - the clients of a running supervisor's control socket:
 *   pinit check [--live|--ready]   exit 0 healthy/ready, 1 anything else (never 2)
 *   pinit status [--json]          exit 0 child running, 3 not running, 4 no answer about the
 *                                  child (unreachable, busy, or refused: the caller is outside
 *                                  pinit's PID namespace), 64 usage error
 *   pinit restart | pinit stop     exit 0 accepted, 77 refused, 1 unreachable or busy, 64 usage
 * The socket: PINIT_CONTROL_SOCKET, else the configuration's control.socket, else the
 * per-container default (control_socket_name, control.h).
 * Each prints one line on stdout (errors on stderr) and returns the exit code.  They block
 * for at most CTL_DEADLINE_MS in all. */
#define CTL_DEADLINE_MS 2000
int check_cmd(int argc, char **argv, char **envp);
int status_cmd(int argc, char **argv, char **envp);
int restart_cmd(int argc, char **argv, char **envp);
int stop_cmd(int argc, char **argv, char **envp);

/* init/wait_cmd.c - `pinit wait [OPTIONS] [TARGET...]`: wait for dependencies, then exit.
 *   -t, --timeout D           overall time limit (default 5m; 0 = forever)
 *   -i, --interval D          retry interval per target (default 1s)
 *   -a, --attempt-timeout D   limit of one attempt (default 5s)
 *   -q, --quiet               only errors (default: progress at info level)
 *   -h, --help
 * D is a duration ("500ms", "10s", "2m").  TARGETs as in probe.h.  Without TARGETs the
 * lists PINIT_WAIT and SERVICE_PRECONDITION from envp are used (both, if both are set).
 * Runs the default libev loop until done and returns the exit code: 0 all targets up; 69
 * timed out (one error line names the missing targets); 64 usage error or unparsable target
 * (one line names it); 128+signal (143, 130) when SIGTERM or SIGINT arrives; 70 if libcurl
 * or libev cannot be initialised.  Sets the log level (info, or error with -q). */
int wait_cmd(int argc, char **argv, char **envp);

/* init/render_cmd.c - `pinit render [--dry-run] [--format auto|yaml|legacy]`.
 * --dry-run prints the rendered file on stdout and writes nothing.  Returns the exit code:
 * 0 rendered, 64 usage error, 78 bad config or the file could not be written. */
int render_cmd(int argc, char **argv, char **envp);

/* init/flink.c - `pinit flink ROLE [ARG...]`: render, wait, run a Flink role supervised. */
int flink_cmd(int argc, char **argv, char **envp);

/* init/config_cmd.c - `pinit config`: print the effective configuration on stdout.
 * Returns 0, 78 for a bad configuration (one line names it), 1 if stdout fails. */
int config_cmd(int argc, char **argv, char **envp);

#endif
