// SPDX-License-Identifier: MIT
/* Guard and balloon facts (facts.h). */
#include "memhotd/facts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "Node 3, zone   Normal" -> nid 3, name "Normal"; false if not a header. */
static bool zone_header(const char *line, int *nid, char *name, size_t len)
{
	char *end;
	unsigned long n;
	size_t i = 0;

	if (strncmp(line, "Node ", 5) != 0)
		return false;
	errno = 0;
	n = strtoul(line + 5, &end, 10);
	if (errno || end == line + 5 || n > 1u << 20 ||
	    strncmp(end, ", zone", 6) != 0)
		return false;
	end += 6;
	while (*end == ' ' || *end == '\t')
		end++;
	while (end[i] && end[i] != '\n' && end[i] != ' ' && i + 1 < len) {
		name[i] = end[i];
		i++;
	}
	name[i] = '\0';
	*nid = (int)n;
	return i > 0;
}

static bool is_kernel_zone(const char *name)
{
	return !strcmp(name, "DMA") || !strcmp(name, "DMA32") ||
	       !strcmp(name, "Normal");
}

int mh_zoneinfo_kernel_free(const char *text, int nid, uint64_t *pages)
{
	const char *line = text;
	bool in_zone = false, seen_free = false, any = false;
	uint64_t sum = 0;

	if (!text || !pages || nid < 0)
		return -EINVAL;
	while (line && *line) {
		const char *p = line;
		int zn;
		char name[16];

		if (zone_header(line, &zn, name, sizeof(name))) {
			if (in_zone && !seen_free)
				return -EINVAL;
			in_zone = zn == nid && is_kernel_zone(name);
			seen_free = false;
			any = any || in_zone;
		} else if (in_zone && !seen_free) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!strncmp(p, "pages free", 10)) {
				char *end;
				unsigned long long v;

				errno = 0;
				v = strtoull(p + 10, &end, 10);
				if (errno || end == p + 10 ||
				    (*end && *end != '\n' && *end != ' '))
					return -EINVAL;
				sum = sum + v < sum ? UINT64_MAX : sum + v;
				seen_free = true;
			}
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (in_zone && !seen_free)
		return -EINVAL;
	if (!any)
		return -ENOENT;
	*pages = sum;
	return 0;
}

int mh_guard_measure(const struct mh_root *r, int nid, uint64_t page_size,
		     struct mh_guard_facts *out)
{
	char *text = NULL;
	size_t len;
	uint64_t pages;
	int err = mh_read_all(r, "proc/zoneinfo", &text, &len);

	if (err < 0)
		return err;
	err = mh_zoneinfo_kernel_free(text, nid, &pages);
	free(text);
	if (err < 0)
		return err;
	if (!page_size)
		page_size = MH_POLICY_DEFAULT_PAGE_SIZE;
	out->kernel_free_bytes =
		pages > UINT64_MAX / page_size ? UINT64_MAX : pages * page_size;
	return 0;
}

/* A device bound to the driver at rel: a symlink other than "module". */
static bool driver_bound(const struct mh_root *r, const char *rel)
{
	DIR *d = mh_root_opendir(r, rel);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "module"))
			continue;
		if (de->d_type == DT_LNK)
			found = true;
		else if (de->d_type == DT_UNKNOWN &&
			 fstatat(dirfd(d), de->d_name, &st,
				 AT_SYMLINK_NOFOLLOW) == 0 &&
			 S_ISLNK(st.st_mode))
			found = true;
	}
	closedir(d);
	return found;
}

void mh_balloon_detect(const struct mh_root *r, struct mh_balloon_state *out)
{
	char *vmstat = NULL;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (driver_bound(r, "sys/bus/virtio/drivers/virtio_balloon"))
		out->facts.driver = "virtio_balloon";
	else if (driver_bound(r, "sys/bus/vmbus/drivers/hv_balloon"))
		out->facts.driver = "hv_balloon";
	else if (mh_path_exists(r, "sys/devices/system/xen_memory/xen_memory0"))
		out->facts.driver = "xen-balloon";
	else if (mh_path_exists(r, "sys/module/vmw_balloon"))
		out->facts.driver = "vmw_balloon";
	if (mh_read_all(r, "proc/vmstat", &vmstat, &len) == 0) {
		out->vmstat_read = true;
		out->kernel_compaction =
			mh_vmstat_has_balloon_compaction(vmstat);
		free(vmstat);
	}
	out->facts.active = out->facts.driver != NULL;
	out->facts.compaction = mh_balloon_driver_migrates(
		out->facts.driver, out->kernel_compaction);
}
