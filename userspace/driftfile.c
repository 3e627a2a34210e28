// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "driftfile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int driftfile_load(const char *path, double *freq, double *skew)
{
	char buf[128], extra;
	double f, s;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = 0;
	if (sscanf(buf, "%lf %lf %c", &f, &s, &extra) != 2 || !isfinite(f) || !isfinite(s) ||
	    fabs(f) > DRIFTFILE_MAX_PPM || s < 0 || s > DRIFTFILE_MAX_PPM)
		return -EINVAL;
	*freq = f * 1e-6;
	*skew = s * 1e-6;
	return 0;
}

int driftfile_save(const char *path, double freq, double skew)
{
	char tmp[4096], line[64];
	int fd, len, err = 0;

	len = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (len < 0 || (size_t)len >= sizeof(tmp))
		return -ENAMETOOLONG;
	len = snprintf(line, sizeof(line), "%.6f %.6f\n", freq * 1e6, skew * 1e6);
	if (len < 0 || (size_t)len >= sizeof(line))
		return -EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)len) != len || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
