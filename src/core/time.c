/*
 * time.c - RFC 3339 UTC time and sortable ids. Times are int64 ms since the
 * epoch; text always ends in Z with millisecond precision, so stored times
 * sort correctly as strings.
 */
#include "core.h"

#include <sys/random.h>
#include <ctype.h>

int64_t pl_time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pl_time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Floor division so times before 1970 format correctly too. */
static int64_t time__floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void pl_time_format(int64_t ms, char out[PL_TIME_STRLEN])
{
	time_t secs = (time_t)time__floordiv(ms, 1000);
	int msr = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;

	char tmp[96]; /* wide enough for any int year, so no truncation */

	gmtime_r(&secs, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, msr);
	pl_strlcpy(out, tmp, PL_TIME_STRLEN);
}

/* Read exactly n digits at *p; advances *p. -1 when not all digits. */
static int time__digits(const char **p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static bool time__leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil), so parsing needs no timegm and no TZ state. */
static int64_t time__days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int pl_time_parse(const char *s, int64_t *out_ms)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, sec, ms = 0, off = 0;

	if (!s)
		return PL_EINVAL;
	if ((y = time__digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = time__digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = time__digits(&p, 2)) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
		return PL_EINVAL;
	p++;
	if ((h = time__digits(&p, 2)) < 0 || *p++ != ':' ||
	    (mi = time__digits(&p, 2)) < 0 || *p++ != ':' ||
	    (sec = time__digits(&p, 2)) < 0)
		return PL_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && time__leap(y)) || h > 23 || mi > 59 ||
	    sec > 60)
		return PL_EINVAL;
	if (*p == '.') {
		int scale = 100, nd = 0;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (nd < 3)
				ms += (*p - '0') * scale;
			scale /= 10;
			nd++;
			p++;
		}
		if (nd == 0)
			return PL_EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if ((oh = time__digits(&p, 2)) < 0 || *p++ != ':' ||
		    (om = time__digits(&p, 2)) < 0 || oh > 23 || om > 59)
			return PL_EINVAL;
		off = sign * (oh * 60 + om);
	} else {
		return PL_EINVAL;
	}
	if (*p)
		return PL_EINVAL;
	if (sec == 60)
		sec = 59; /* leap second: clamp, we have no table */
	*out_ms = ((time__days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
		   (int64_t)off * 60) * 1000 + ms;
	return 0;
}

void pl_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0)
			abort(); /* the kernel's CSPRNG never fails after boot */
		p += got;
		n -= (size_t)got;
	}
}

void pl_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char id__alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void pl_id_new(char out[PL_ID_LEN + 1])
{
	unsigned char r[10];
	uint64_t t = (uint64_t)pl_time_now_ms();
	int i;

	pl_random(r, sizeof(r));
	/* 10 chars of time (50 bits, top 2 always zero), 16 of randomness. */
	for (i = 9; i >= 0; i--) {
		out[i] = id__alphabet[t & 31];
		t >>= 5;
	}
	/* 80 random bits -> 16 chars of 5 bits each. */
	uint64_t hi = 0, lo = 0;
	for (i = 0; i < 5; i++)
		hi = (hi << 8) | r[i];
	for (i = 5; i < 10; i++)
		lo = (lo << 8) | r[i];
	for (i = 17; i >= 10; i--) {
		out[i] = id__alphabet[hi & 31];
		hi >>= 5;
	}
	for (i = 25; i >= 18; i--) {
		out[i] = id__alphabet[lo & 31];
		lo >>= 5;
	}
	out[PL_ID_LEN] = '\0';
}

void pl_id_after(const char *prev, char out[PL_ID_LEN + 1])
{
	pl_id_new(out);
	if (!prev || strcmp(out, prev) > 0)
		return;
	/* prev + 1 in base 32, carrying from the last character: the 80
	 * random bits never carry into the time */
	memcpy(out, prev, PL_ID_LEN + 1);
	for (int i = PL_ID_LEN - 1; i >= 0; i--) {
		size_t d = (size_t)(strchr(id__alphabet, out[i]) - id__alphabet);
		if (d + 1 < sizeof(id__alphabet) - 1) {
			out[i] = id__alphabet[d + 1];
			return;
		}
		out[i] = id__alphabet[0];
	}
}

bool pl_id_valid(const char *s)
{
	if (!s || strlen(s) != PL_ID_LEN)
		return false;
	for (int i = 0; i < PL_ID_LEN; i++)
		if (!strchr(id__alphabet, s[i]) || s[i] == '\0')
			return false;
	return s[0] <= '7';
}
