/* units: strict parsing of sizes, durations, ports and counts given by users. */
#include "units.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Reads the leading decimal number of s: digits with at most one '.', and
 * returns it as an integer part and a fraction scaled by 1e9, so that "1.5"
 * gives int 1, frac 500000000. strtod would accept "inf", "0x10", "1e3" and
 * leading blanks, none of which a user means for a buffer size.
 */
static int parse_decimal(const char *s, uint64_t *ip, uint64_t *frac_e9,
                         const char **end, char *err, size_t errlen)
{
	uint64_t v = 0, f = 0, scale = 100000000;
	const char *p = s;
	int digits = 0;

	if (*p == '-')
		return fail(err, errlen, "negative values are not allowed");
	if (*p == '+')
		return fail(err, errlen, "a sign is not allowed");
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return fail(err, errlen, "number too large");
		v = v * 10 + d;
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return fail(err, errlen, "a digit must follow the decimal point");
		while (isdigit((unsigned char)*p)) {
			f += (uint64_t)(*p - '0') * scale;
			scale /= 10;
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return fail(err, errlen, "not a number");
	*ip = v;
	*frac_e9 = f;
	*end = p;
	return 0;
}

/* value * mult + frac_e9 * mult / 1e9, with overflow checks. */
static int scale_checked(uint64_t v, uint64_t frac_e9, uint64_t mult, uint64_t *out,
                         char *err, size_t errlen)
{
	uint64_t whole, part;

	if (mult && v > UINT64_MAX / mult)
		return fail(err, errlen, "number too large");
	whole = v * mult;
	/* frac_e9 < 1e9 and mult can reach 2^40: the product needs 128 bits. */
	part = (uint64_t)(((unsigned __int128)frac_e9 * mult) / 1000000000u);
	if (whole > UINT64_MAX - part)
		return fail(err, errlen, "number too large");
	*out = whole + part;
	return 0;
}

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit size_units[] = {
	{ "", 1 },
	{ "B", 1 },
	{ "K", 1ull << 10 }, { "KB", 1ull << 10 }, { "KiB", 1ull << 10 },
	{ "M", 1ull << 20 }, { "MB", 1ull << 20 }, { "MiB", 1ull << 20 },
	{ "G", 1ull << 30 }, { "GB", 1ull << 30 }, { "GiB", 1ull << 30 },
	{ "T", 1ull << 40 }, { "TB", 1ull << 40 }, { "TiB", 1ull << 40 },
};

static const struct unit time_units[] = {
	{ "us", 1 },
	{ "ms", 1000 },
	{ "s", 1000000 },
	{ "m", 60000000ull },
	{ "min", 60000000ull },
	{ "h", 3600000000ull },
};

static const struct unit *find_unit(const struct unit *tab, size_t n, const char *name,
                                    int case_fold)
{
	for (size_t i = 0; i < n; i++) {
		if (case_fold ? strcasecmp(tab[i].name, name) == 0 : strcmp(tab[i].name, name) == 0)
			return &tab[i];
	}
	return NULL;
}

int units_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *err, size_t errlen)
{
	uint64_t ip = 0, frac = 0, v = 0;
	const char *end;
	const struct unit *u;

	if (!s || !*s)
		return fail(err, errlen, "empty size");
	if (parse_decimal(s, &ip, &frac, &end, err, errlen) < 0)
		return -1;
	/* "KiB" is spelled with a lower-case i; accept "kb", "kib", "k" too. */
	u = find_unit(size_units, sizeof size_units / sizeof size_units[0], end, 1);
	if (!u)
		return fail(err, errlen, "unknown size unit '%s' (use K, KiB, M, MiB, G)", end);
	if (scale_checked(ip, frac, u->mult, &v, err, errlen) < 0)
		return -1;
	if (frac && (frac * u->mult) % 1000000000u)
		return fail(err, errlen, "not a whole number of bytes");
	if (v < min || v > max) {
		char lo[32], hi[32];

		return fail(err, errlen, "out of range [%s, %s]", units_format_size(min, lo, sizeof lo),
		            units_format_size(max, hi, sizeof hi));
	}
	*out = v;
	return 0;
}

int units_parse_duration(const char *s, uint64_t default_unit_us, uint64_t min_us,
                         uint64_t max_us, uint64_t *out_us, char *err, size_t errlen)
{
	uint64_t ip = 0, frac = 0, v = 0, mult;
	const char *end;

	if (!s || !*s)
		return fail(err, errlen, "empty duration");
	if (parse_decimal(s, &ip, &frac, &end, err, errlen) < 0)
		return -1;
	if (*end == '\0') {
		mult = default_unit_us;
	} else {
		const struct unit *u = find_unit(time_units, sizeof time_units / sizeof time_units[0],
		                                 end, 0);
		if (!u)
			return fail(err, errlen, "unknown duration unit '%s' (use us, ms, s, m, h)", end);
		mult = u->mult;
	}
	if (scale_checked(ip, frac, mult, &v, err, errlen) < 0)
		return -1;
	if (v < min_us || v > max_us) {
		char lo[32], hi[32];

		return fail(err, errlen, "out of range [%s, %s]", units_format_duration(min_us, lo, sizeof lo),
		            units_format_duration(max_us, hi, sizeof hi));
	}
	*out_us = v;
	return 0;
}

int units_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     char *err, size_t errlen)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !*s)
		return fail(err, errlen, "empty number");
	if (*p == '-')
		return fail(err, errlen, "negative values are not allowed");
	for (; *p; p++) {
		unsigned d;

		if (!isdigit((unsigned char)*p))
			return fail(err, errlen, "not a whole number");
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return fail(err, errlen, "number too large");
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return fail(err, errlen, "out of range [%llu, %llu]", (unsigned long long)min,
		            (unsigned long long)max);
	*out = v;
	return 0;
}

int units_parse_port(const char *s, uint16_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (units_parse_uint(s, 0, 65535, &v, err, errlen) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

const char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024 || bytes % 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, names[i]);
	else
		snprintf(buf, len, "%.2f %s", v, names[i]);
	return buf;
}

const char *units_format_duration(uint64_t us, char *buf, size_t len)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} u[] = { { "h", 3600000000ull }, { "m", 60000000ull }, { "s", 1000000ull }, { "ms", 1000ull }, { "us", 1 } };

	for (size_t i = 0; us && i < sizeof u / sizeof u[0]; i++)
		if (us % u[i].mult == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(us / u[i].mult), u[i].name);
			return buf;
		}
	snprintf(buf, len, "0");
	return buf;
}

int units_parse_rate(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	static const struct unit bit_units[] = {
		{ "gbit", 1000000000 }, { "mbit", 1000000 }, { "kbit", 1000 }, { "bit", 1 }, /* longest first */
	};
	size_t n = strlen(s ? s : "");

	for (size_t i = 0; i < sizeof bit_units / sizeof bit_units[0]; i++) {
		size_t ul = strlen(bit_units[i].name);
		uint64_t ip = 0, frac = 0, bits = 0;
		const char *end;

		if (n <= ul || strcasecmp(s + n - ul, bit_units[i].name) != 0)
			continue;
		if (parse_decimal(s, &ip, &frac, &end, err, errlen) < 0)
			return -1;
		if ((size_t)(end - s) != n - ul)
			return fail(err, errlen, "unknown rate unit '%s' (use bit, kbit, mbit, gbit, or bytes: K, M)", end);
		if (scale_checked(ip, frac, bit_units[i].mult, &bits, err, errlen) < 0)
			return -1;
		if (bits / 8 > max)
			return fail(err, errlen, "out of range [0, %llu bytes/s]", (unsigned long long)max);
		*out = bits / 8;
		return 0;
	}
	return units_parse_size(s, 0, max, out, err, errlen);
}
