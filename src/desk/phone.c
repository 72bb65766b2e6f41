/*
 * phone.c - phone numbers to E.164, once, at the edge.
 *
 * Enterprises type their contacts' numbers every way there is ("138 0013
 * 8000", "+86-138-0013-8000", "0086 13800138000", "(023) 6888 1234"), and
 * SMS gateways want one form: Tencent Cloud takes E.164 only, and Aliyun
 * accepts it. Normalising at intake means the registry stores one string
 * per number, duplicates are found by string comparison, and the notifier
 * adapts one form per provider. Rules (China's numbering plan): mobiles are
 * 11 digits starting 13-19; landlines are dialled with a trunk 0, an area
 * code of 2-3 digits after it (10, 2x, or three digits) and a 7-8 digit
 * subscriber number, so their national significant number is 9-11 digits.
 */
#include "desk.h"

static int phone__fail(char *why, size_t whysz, const char *msg)
{
	if (why && whysz)
		pl_strlcpy(why, msg, whysz);
	return PL_EINVAL;
}

static bool phone__cn_mobile(const char *d, size_t n)
{
	return n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* A national significant number of a landline (without the trunk 0):
 * Beijing's area code 10 is the only one starting with 1 (1x is mobile);
 * others start 2-9. 2-3 digit area code + 7-8 digit number. */
static bool phone__cn_landline(const char *d, size_t n)
{
	if (n < 9)
		return false;
	if (d[0] == '1')
		return d[1] == '0' && n <= 10;
	return d[0] >= '2' && d[0] <= '9' && n <= 11;
}

int desk_phone_normalize(const char *in, char out[DESK_PHONE_MAX], char *why, size_t whysz)
{
	char d[32];
	size_t n = 0;
	bool plus = false;

	if (!in)
		return phone__fail(why, whysz, "phone number is missing");
	for (const char *p = in; *p; p++) {
		char c = *p;
		if (c >= '0' && c <= '9') {
			if (n == sizeof(d) - 1)
				return phone__fail(why, whysz, "phone number has too many digits");
			d[n++] = c;
		} else if (c == '+' && n == 0 && !plus && p == in + strspn(in, " ")) {
			plus = true;
		} else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
			continue;
		} else {
			return phone__fail(why, whysz,
					   "phone number may hold only digits, a leading +, spaces, hyphens, dots and parentheses");
		}
	}
	d[n] = '\0';
	if (n == 0)
		return phone__fail(why, whysz, "phone number has no digits");

	const char *nsn = NULL; /* Chinese national significant number */
	size_t nn = 0;
	if (plus) {
		if (n >= 2 && d[0] == '8' && d[1] == '6') {
			nsn = d + 2;
			nn = n - 2;
		} else if (d[0] == '0') {
			return phone__fail(why, whysz, "a country code cannot start with 0");
		} else if (n < 8 || n > 15) {
			return phone__fail(why, whysz, "an international number has 8 to 15 digits");
		} else {
			out[0] = '+';
			memcpy(out + 1, d, n + 1);
			return 0;
		}
	} else if (n > 4 && memcmp(d, "0086", 4) == 0) {
		nsn = d + 4;
		nn = n - 4;
	} else if (n == 13 && memcmp(d, "86", 2) == 0 && phone__cn_mobile(d + 2, 11)) {
		nsn = d + 2;
		nn = 11;
	} else if (phone__cn_mobile(d, n)) {
		nsn = d;
		nn = n;
	} else if (d[0] == '0' && n > 1 && d[1] != '0') {
		nsn = d + 1; /* landline dialled with its trunk 0 */
		nn = n - 1;
	} else {
		return phone__fail(why, whysz,
				   "not a Chinese mobile (11 digits from 13) or landline (0 + area code + number); write foreign numbers with +");
	}
	if (!phone__cn_mobile(nsn, nn) && !phone__cn_landline(nsn, nn))
		return phone__fail(why, whysz,
				   "not a Chinese mobile (11 digits from 13) or landline (area code and 7-8 digits)");
	out[0] = '+';
	out[1] = '8';
	out[2] = '6';
	memcpy(out + 3, nsn, nn);
	out[3 + nn] = '\0';
	return 0;
}

bool desk_phone_is_cn_mobile(const char *e164)
{
	if (!e164 || strncmp(e164, "+86", 3) != 0 || strlen(e164) != 14)
		return false;
	for (int i = 3; i < 14; i++)
		if (e164[i] < '0' || e164[i] > '9')
			return false;
	return phone__cn_mobile(e164 + 3, 11);
}
