/* experiments_json.h - the experiments' results as JSON, for `cvo experiments
 * --json` (cvo_write_experiments_json) and for summary.json's "experiments". */
#ifndef CVO_EXPERIMENTS_JSON_H
#define CVO_EXPERIMENTS_JSON_H

#include "cvo.h"
#include "output/cells.h"

/* Appends {"as_of","experiments":[...]} (the format of cvo_write_experiments_json) to b. */
void experiments_json_append(cell_buf *b, const cvo_experiment_results *r,
                             const cvo_config *config);

#endif
