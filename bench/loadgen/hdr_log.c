#include "hdr_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "owned_file.h"

struct hdr_log *hdr_log_open(const char *path, double start_epoch_s, const char *comment,
			     char *err, size_t errlen)
{
	struct hdr_log *l = calloc(1, sizeof(*l));
	char why[256], date[64];

	if (!l) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	int fd = owned_file_open(path, NULL, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "%s", why);
		free(l);
		return NULL;
	}
	l->f = ftruncate(fd, 0) == 0 ? fdopen(fd, "w") : NULL;
	if (!l->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		free(l);
		return NULL;
	}
	l->path = path;
	hist_init(&l->last);
	/* Java's Date.toString(), which HdrHistogram's writer puts there; the
	 * readers take only the number. */
	time_t t = (time_t)start_epoch_s;
	struct tm tm;
	strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Z %Y", localtime_r(&t, &tm));
	fprintf(l->f, "#%s\n", comment);
	fprintf(l->f, "#[Histogram log format version 1.3]\n");
	fprintf(l->f, "#[StartTime: %.3f (seconds since epoch), %s]\n", start_epoch_s, date);
	fprintf(l->f, "#[BaseTime: %.3f (seconds since epoch)]\n", start_epoch_s);
	fprintf(l->f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		      "\"Interval_Compressed_Histogram\"\n");
	return l;
}

int hdr_log_interval(struct hdr_log *l, const struct histogram *cumulative, double start_s,
		     double len_s, char *err, size_t errlen)
{
	uint64_t max = 0;

	hist_init(&l->interval);
	for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
		uint64_t n = cumulative->buckets[b] - l->last.buckets[b];
		l->interval.buckets[b] = n;
		l->interval.count += n;
		if (n)
			max = hist_bucket_highest(b);
	}
	memcpy(l->last.buckets, cumulative->buckets, sizeof(l->last.buckets));
	if (!hdr_encode_b64(&l->interval, l->text)) {
		snprintf(err, errlen, "%s: zlib cannot compress an interval", l->path);
		return -1;
	}
	if (fprintf(l->f, "%.3f,%.3f,%.3f,%s\n", start_s, len_s, (double)max / 1e6, l->text) < 0) {
		snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
		return -1;
	}
	return 0;
}

int hdr_log_close(struct hdr_log *l, char *err, size_t errlen)
{
	int bad = ferror(l->f);
	int rc = fclose(l->f);

	if (bad || rc) {
		snprintf(err, errlen, "%s: %s", l->path, bad ? "write error" : strerror(errno));
		rc = -1;
	}
	free(l);
	return rc;
}
