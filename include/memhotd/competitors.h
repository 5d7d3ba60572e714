/* SPDX-License-Identifier: MIT */
/*
 * Other agents that online memory behind memhotd's back, found at start-up
 * (and on reload) so the daemon can warn about them:
 *   - the kernel itself: sys/devices/system/memory/auto_online_blocks not
 *     "offline", or memhp_default_state= other than offline on the kernel
 *     command line (proc/cmdline);
 *   - udev rules writing a memory block's "state" or "online" attribute in
 *     etc/udev/rules.d, run/udev/rules.d, usr/local/lib/udev/rules.d,
 *     usr/lib/udev/rules.d, lib/udev/rules.d (highest priority first; a file
 *     shadowed by a same-named file in a higher-priority directory, or
 *     masked by a symlink to /dev/null there, does not count), among them
 *     the RHEL (40-redhat.rules, 40-redhat-hotplug.rules), SUSE
 *     (80-hotplug-cpu-mem.rules) and Ubuntu (40-vm-hotadd.rules) ones.
 * Everything is read below the root prefix; nothing is written.
 */
#ifndef MEMHOTD_COMPETITORS_H
#define MEMHOTD_COMPETITORS_H

#include <stddef.h>

#include "memhotd/sysfs.h"

#define MH_COMPETITOR_LINE 256

/*
 * Fills lines[0..max) with one-line human messages, one per competitor
 * (a rules file is reported once, at its first offending line, as
 * "/PATH:LINE: ...").  Returns the number of lines written, at most max;
 * if there were more competitors than max, the last line says how many
 * were left out.  Unreadable files are skipped silently.
 */
size_t mh_competitors_detect(const struct mh_root *r,
			     char lines[][MH_COMPETITOR_LINE], size_t max);

#endif
