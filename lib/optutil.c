/* optutil: what the programs' option parsers share: value checks whose errors
 * name the option and the value, getopt's error messages, name tables. */
#include "optutil.h"
#include "units.h"

#include <stdio.h>
#include <string.h>

int optutil_bad(const char *opt, const char *val, const char *cause, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s '%s': %s", opt, val, cause);
	return -1;
}

int optutil_size(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out,
                 char *err, size_t errlen)
{
	char cause[128];

	if (units_parse_size(val, min, max, out, cause, sizeof cause) < 0)
		return optutil_bad(opt, val, cause, err, errlen);
	return 0;
}

int optutil_duration(const char *opt, const char *val, uint64_t unit_us, uint64_t min_us,
                     uint64_t max_us, uint64_t *out, char *err, size_t errlen)
{
	char cause[128];

	if (units_parse_duration(val, unit_us, min_us, max_us, out, cause, sizeof cause) < 0)
		return optutil_bad(opt, val, cause, err, errlen);
	return 0;
}

int optutil_uint(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out,
                 char *err, size_t errlen)
{
	char cause[128];

	if (units_parse_uint(val, min, max, out, cause, sizeof cause) < 0)
		return optutil_bad(opt, val, cause, err, errlen);
	return 0;
}

int optutil_port(const char *opt, const char *val, uint16_t *out, char *err, size_t errlen)
{
	char cause[128];

	if (units_parse_port(val, out, cause, sizeof cause) < 0)
		return optutil_bad(opt, val, cause, err, errlen);
	return 0;
}

void optutil_getopt_error(int c, const struct option *opts, char **argv, char *err, size_t errlen)
{
	const char *name = NULL;

	if (optopt > 0 && optopt < 256) {
		snprintf(err, errlen, c == ':' ? "option -%c needs a value" : "unknown option -%c", optopt);
		return;
	}
	if (c != ':') {
		snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
		return;
	}
	for (const struct option *o = opts; o->name; o++)
		if (o->val == optopt)
			name = o->name;
	snprintf(err, errlen, "option --%s needs a value", name ? name : "?");
}

int optutil_lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *optutil_name(const char *const *names, size_t n, unsigned i)
{
	return i < n && names[i] ? names[i] : "?";
}
