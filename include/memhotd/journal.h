/* SPDX-License-Identifier: MIT */
/*
 * What the journal gets per block (doc/journal.md): the short reason of a
 * decision for the one info line per decision (the full numbers are
 * mh_decision_explain's, at debug and in memhotctl explain), and the
 * structured fields of a block's events.  Pure: no I/O.
 */
#ifndef MEMHOTD_JOURNAL_H
#define MEMHOTD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/log.h"
#include "memhotd/policy.h"

/*
 * The deciding reason in a few words, e.g. "ratio: 301% of kernel, 1.2G
 * left" or "rule dimms"; snprintf semantics, returns the length.
 */
int mh_decision_summary(const struct mh_decision *d, uint64_t page_size,
			char *buf, size_t len);

/*
 * The fields of event ev for block id (b may be NULL: only the block
 * number); zone NULL: none.  Strings point into inv, b and the decision:
 * valid until they change.
 */
void mh_block_fields(const struct mh_inventory *inv, uint64_t id,
		     const struct mh_block *b, enum mh_event ev,
		     const char *zone, const struct mh_decision *dec,
		     struct mh_log_fields *f);

#endif
