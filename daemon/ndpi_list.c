/*
 * ndpi_list.c - see ndpi_list.h. Asks a detection module built for the
 * purpose, the way policy_names.c does, so the lists are exactly what the
 * policy parser accepts.
 */
#include "ndpi_list.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "errf.h"

static const char *cat_name(struct ndpi_detection_module_struct *m, unsigned c)
{
	const char *s = ndpi_category_get_name(m, (ndpi_protocol_category_t)c);

	/* unused ids have an empty or placeholder name */
	return s != NULL && isalpha((unsigned char)s[0]) ? s : NULL;
}

static unsigned app_cat(struct ndpi_detection_module_struct *m, uint16_t id)
{
	ndpi_protocol p;

	memset(&p, 0, sizeof(p));
	p.app_protocol = id;
	return (unsigned)ndpi_get_proto_category(m, p);
}

int ndpi_list_print(const char *what, const char *protocols_path, FILE *out, char *err,
		    size_t errlen)
{
	struct ndpi_detection_module_struct *m;
	NDPI_PROTOCOL_BITMASK all;
	bool apps = strcmp(what, "apps") == 0, cats = strcmp(what, "categories") == 0;
	bool risks = strcmp(what, "risks") == 0;
	unsigned i, n;
	FILE *f;

	if (!apps && !cats && !risks)
		return errf(err, errlen, "--list %s: expected apps, categories or risks", what);
	if (protocols_path != NULL && protocols_path[0] != '\0') {
		f = fopen(protocols_path, "r");
		if (f == NULL)
			return errf(err, errlen, "cannot read the nDPI protocols file %s: %s",
				    protocols_path, strerror(errno));
		fclose(f);
	}
	m = ndpi_init_detection_module(ndpi_no_prefs);
	if (m == NULL)
		return errf(err, errlen, "cannot build an nDPI detection module");
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(m, &all);
	if (protocols_path != NULL && protocols_path[0] != '\0' &&
	    ndpi_load_protocols_file(m, (char *)protocols_path) < 0) {
		ndpi_exit_detection_module(m);
		return errf(err, errlen, "nDPI could not load the protocols file %s", protocols_path);
	}
	ndpi_finalize_initialization(m);
	n = ndpi_get_num_supported_protocols(m);
	if (apps) {
		fprintf(out, "# application\tdefault category\tnDPI rating\n");
		for (i = 0; i < n; i++) {
			const char *s = ndpi_get_proto_name(m, (uint16_t)i), *c;

			if (s == NULL || s[0] == '\0' || i == NDPI_PROTOCOL_UNKNOWN)
				continue;
			c = cat_name(m, app_cat(m, (uint16_t)i));
			fprintf(out, "%s\t%s\t%s\n", s, c ? c : "Unspecified",
				ndpi_get_proto_breed_name(m, ndpi_get_proto_breed(m, (uint16_t)i)));
		}
	} else if (cats) {
		fprintf(out, "# category\tid (for the categories file)\tapplications in it by default\n");
		for (i = 0; i < NDPI_PROTOCOL_NUM_CATEGORIES; i++) {
			const char *c = cat_name(m, i);
			unsigned k, cnt = 0;

			if (c == NULL)
				continue;
			for (k = 1; k < n; k++)
				cnt += app_cat(m, (uint16_t)k) == i;
			fprintf(out, "%s\t%u\t%u\n", c, i, cnt);
		}
	} else {
		fprintf(out, "# risk (quote it in a rule)\tseverity\n");
		for (i = 1; i < NDPI_MAX_RISK; i++) {
			ndpi_risk_info *ri = ndpi_risk2severity((ndpi_risk_enum)i);

			fprintf(out, "%s\t%s\n", ndpi_risk2str((ndpi_risk_enum)i),
				ri ? ndpi_severity2str(ri->severity) : "?");
		}
	}
	ndpi_exit_detection_module(m);
	return ferror(out) ? errf(err, errlen, "cannot write the list") : 0;
}
