/* units: strict parsing of sizes, durations, ports and counts given by users. */
#ifndef PROBELOCK_UNITS_H
#define PROBELOCK_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * All parsers accept the whole string or nothing: leading/trailing garbage,
 * signs, empty strings and overflow are errors. On error they return -1 and
 * write a short cause ("unknown unit 'Q'", "out of range") into err; *out is
 * left untouched. On success they return 0.
 */

/* Sizes: "16384", "16K", "16k", "16KB", "64KiB", "1M", "1MiB", "2G".
 * K/KB/KiB all mean 1024 (socket buffers are counted in binary units).
 * The result must lie in [min, max]. */
int units_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *err, size_t errlen);

/* Durations: "500ms", "2s", "1.5s", "250us", "3m", "1h"; a bare number is in
 * the unit default_unit_us microseconds (1000000 for seconds). Result in
 * microseconds, within [min_us, max_us]. */
int units_parse_duration(const char *s, uint64_t default_unit_us, uint64_t min_us,
                         uint64_t max_us, uint64_t *out_us, char *err, size_t errlen);

/* A plain decimal integer in [min, max]. */
int units_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *err, size_t errlen);

/* A TCP port: 0..65535 (0 means "any" where the caller allows it). */
int units_parse_port(const char *s, uint16_t *out, char *err, size_t errlen);

/* Rates: "100mbit", "1gbit", "500kbit" (bits per second, decimal units, as
 * tc writes them) or a size in bytes per second ("12M"). Result in bytes/s. */
int units_parse_rate(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);

/* Formats a byte count as "16384", "16 KiB", "1.5 MiB" into buf; returns buf. */
const char *units_format_size(uint64_t bytes, char *buf, size_t len);
/* Formats a duration in microseconds in the largest unit that divides it, as the
 * parsers take it: "100ms", "24h", "1500us", "0"; returns buf. */
const char *units_format_duration(uint64_t us, char *buf, size_t len);

#endif
