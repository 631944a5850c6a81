/* flink.h - `pinit flink ROLE [ARG...]`: the official image's entrypoint, done right.
 *
 * Steps, in the official order: JobManager address default, jemalloc LD_PRELOAD rule,
 * ENABLE_BUILT_IN_PLUGINS links (a missing jar: exit 1 before anything is written), config
 * render (exit 78 on error, the old file kept), then the role runs as the supervised
 * child (as user `flink` when started as root), with per-role defaults:
 *
 *   role            command                                   probes and waits
 *   jobmanager      bin/jobmanager.sh start-foreground ARGS   live GET :REST/config, ready GET :REST/overview
 *   standalone-job  bin/standalone-job.sh start-foreground    same as jobmanager
 *   taskmanager     bin/taskmanager.sh start-foreground       wait tcp JM:6123 (HA: ZooKeeper),
 *                                                             taskmanager.rpc.port pinned to 6122,
 *                                                             live tcp 127.0.0.1:6122
 *   history-server  bin/historyserver.sh start-foreground     live GET :8082/config
 *   (HA: with a ZooKeeper quorum every role first waits for it)
 *   help            usage, exit 0
 *   anything else   run unchanged (native Kubernetes sends `bash -c ...`), policy never
 * The four roles restart with policy always.  Every default can be overridden by the INI
 * file or PINIT_* variables.
 */
#ifndef PINIT_FLINK_H
#define PINIT_FLINK_H

#include <stddef.h>

/* Pure: the value FLINK_PROPERTIES (text, may be NULL) gives `key` (last line wins, ends
 * trimmed), copied to buf.  Returns 1 if found, 0 if not. */
int flink_property(const char *props, const char *key, char *buf, size_t cap);

/* Pure: the role's defaults as "section.key=value" strings into out[0..cap) (NULL-terminated),
 * formatted into the storage `buf`.  `props` is FLINK_PROPERTIES, `rpc` the JobManager
 * address, `ha_quorum` the ZooKeeper quorum when HA is on (else NULL).  Returns the count,
 * or -1 for a role that is not one of the four. */
int flink_role_defaults(const char *role, const char *props, const char *rpc, const char *ha_quorum,
                        const char **out, size_t cap, char *buf, size_t bufcap);

/* The whole command; argv[0] is "flink".  Returns the exit code. */
int cmd_flink(int argc, char **argv, char **envp);

#endif
