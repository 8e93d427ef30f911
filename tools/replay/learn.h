/* --learn: the device model that answers as the captured device did.
 *
 * From every request and its captured response: the servers and units,
 * the table ranges read and written and the values the responses carried
 * (a value as first read, later ones from the writes; a change no write
 * explains becomes a timed sequence), identification objects, and then
 * rules for what the tables cannot say (exceptions, switched-off
 * functions, fixed answers, silence), found by running the requests
 * through mbxdp's own Modbus layer on the model written so far and
 * comparing each answer with the captured one. The model is written as
 * YAML (docs/usage.md) and read back for every such run, so what is
 * checked is the file. What cannot be inferred is reported, not guessed. */
#ifndef MBX_REPLAY_LEARN_H
#define MBX_REPLAY_LEARN_H

#include <stdio.h>

#include "flows.h"

struct learn_options {
	const char *capture; /* for the file's header and the report */
	const char *model; /* the YAML file to write */
	int force; /* replace an existing file (never through a symbolic link) */
	int quiet; /* no report */
};

/* 0 when the model was written (the report says how well it answers),
 * -1 with a one-line reason in err. */
int rp_learn(const struct rp_capture *cap, const struct learn_options *o, FILE *report,
	     char *err, size_t errlen);

#endif
