/* plugins.h - ENABLE_BUILT_IN_PLUGINS, as the official Flink image does it.
 *
 * ENABLE_BUILT_IN_PLUGINS="a.jar;b.jar": for each jar, <home>/plugins/<a>/ gets a link
 * <a.jar> -> <home>/opt/<a.jar>.  pinit does this as root in a home owned by `flink`, so
 * every directory is opened with trusted_path_open() (pinit/trusted_path.h: a plugins/ or
 * plugins/<a> that is a link another user planted is refused) and the work is done with
 * mkdirat/symlinkat relative to it.  A jar name must be a plain file name (no '/', not
 * starting with '.').
 */
#ifndef PINIT_PLUGINS_H
#define PINIT_PLUGINS_H

/* Link the plugins listed in ENABLE_BUILT_IN_PLUGINS of envp (unset or empty: nothing).
 * Returns 0; or -1 after logging one line naming the jar and the reason (a missing jar is
 * the official image's one fatal error: the caller exits 1 before rendering).  Existing
 * directories and links are kept.  Blocks on file-system I/O. */
int plugins_link(char **envp, const char *home);

#endif
