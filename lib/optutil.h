/* optutil: what the programs' option parsers share: value checks whose errors
 * name the option and the value, getopt's error messages, name tables. */
#ifndef PROBELOCK_OPTUTIL_H
#define PROBELOCK_OPTUTIL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

/* Each returns 0, or -1 with "OPT 'VALUE': cause" in err. */
int optutil_size(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out,
                 char *err, size_t errlen);
int optutil_duration(const char *opt, const char *val, uint64_t unit_us, uint64_t min_us,
                     uint64_t max_us, uint64_t *out, char *err, size_t errlen);
int optutil_uint(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out,
                 char *err, size_t errlen);
int optutil_port(const char *opt, const char *val, uint16_t *out, char *err, size_t errlen);
/* Writes "OPT 'VALUE': cause" into err; returns -1. */
int optutil_bad(const char *opt, const char *val, const char *cause, char *err, size_t errlen);

/* For getopt_long's ':' (missing value) and '?' (unknown option) results,
 * called right after it returned c; writes the message into err. */
void optutil_getopt_error(int c, const struct option *opts, char **argv, char *err, size_t errlen);

/* Index of s in names[0..n), or -1. */
int optutil_lookup(const char *const *names, size_t n, const char *s);
/* names[i], or "?" when i is out of range. */
const char *optutil_name(const char *const *names, size_t n, unsigned i);

#endif
