/* config.c: the DUNE_* environment variables. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest.h"
#include "log.h"

static int parse_bool(const char *name, const char *s, int dflt)
{
	if (!s || !*s)
		return dflt;
	if (!strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on"))
		return 1;
	if (!strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off"))
		return 0;
	dune_fatal("%s=%s: expected 1 or 0 (yes/no)", name, s);
}

void config_load(struct dune_config *cfg)
{
	const char *ring = getenv("DUNE_RING");
	const char *backend = getenv("DUNE_BACKEND");
	const char *forward = getenv("DUNE_FORWARD");

	cfg->ring = 3;
	cfg->ring_set = ring && *ring;
	if (ring && *ring) {
		if (!strcmp(ring, "0"))
			cfg->ring = 0;
		else if (strcmp(ring, "3"))
			dune_fatal("DUNE_RING=%s: expected 3 (the default) or 0", ring);
	}
	cfg->rewrite = parse_bool("DUNE_REWRITE", getenv("DUNE_REWRITE"), 1);
	cfg->report = parse_bool("DUNE_REPORT", getenv("DUNE_REPORT"), 0);
	cfg->report_set = getenv("DUNE_REPORT") && *getenv("DUNE_REPORT");
	cfg->forward = POLICY_FORWARD_EXIT;
	cfg->forward_set = forward && *forward;
	if (cfg->forward_set) {
		if (!strcmp(forward, "exit"))
			cfg->forward = POLICY_FORWARD_EXIT;
		else if (!strcmp(forward, "exitless"))
			cfg->forward = POLICY_FORWARD_EXITLESS;
		else if (!strcmp(forward, "auto"))
			cfg->forward = POLICY_FORWARD_AUTO;
		else
			dune_fatal("DUNE_FORWARD=%s: expected exit (the default), exitless or auto", forward);
	}
	cfg->forward_handoff = parse_bool("DUNE_FORWARD_HANDOFF", getenv("DUNE_FORWARD_HANDOFF"), 0);
	cfg->backend = NULL;
	if (backend && *backend) {
		if (strcmp(backend, "kvm") && strcmp(backend, "dev"))
			dune_fatal("DUNE_BACKEND=%s: expected kvm or dev", backend);
		/* A string of ours: the environment is the program's to change. */
		cfg->backend = strcmp(backend, "kvm") ? "dev" : "kvm";
	}
}
