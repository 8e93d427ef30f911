/* Writes a device model (regs/model/config.h) as the YAML file config_load.c
 * reads (docs/usage.md): what --learn produces. */
#ifndef MBX_REPLAY_MODEL_YAML_H
#define MBX_REPLAY_MODEL_YAML_H

#include <stdio.h>

#include "config.h"

/* header: comment lines to put first (each line gets "# "), or NULL.
 * 0, or -1 when writing failed. */
int model_write_yaml(FILE *out, const struct cfg_model *m, const char *header);

#endif
