/* decimal.h - an unsigned number in decimal, without printf.
 *
 * For hot paths that run at every start or exit (the control socket's name, "exit N") and
 * for a forked child before exec, where printf is not async-signal-safe. */
#ifndef PINIT_DECIMAL_H
#define PINIT_DECIMAL_H

#include <stddef.h>

#define DECIMAL_MAX 20 /* digits of the largest unsigned long long */

/* Write the digits of v (no sign, no NUL) to out, which has room for DECIMAL_MAX bytes;
 * returns their number (1..DECIMAL_MAX).  Async-signal-safe, no errno change. */
size_t decimal_put(char *out, unsigned long long v);

#endif
