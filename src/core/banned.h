/*
 * banned.h - functions that do not compile in Parkline (after git's
 * banned.h). Each has a safer replacement in core: pl_strlcpy, pl_buf,
 * pl_fmt/snprintf, strtok_r, gmtime_r, pl_parse_i64.
 */
#ifndef PL_BANNED_H
#define PL_BANNED_H
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PL_BANNED(func) sorry_##func##_is_banned_in_parkline

#undef strcpy
#define strcpy(x, y) PL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) PL_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) PL_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) PL_BANNED(strncat)
#undef sprintf
#define sprintf(...) PL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) PL_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) PL_BANNED(strtok)
#undef gmtime
#define gmtime(t) PL_BANNED(gmtime)
#undef localtime
#define localtime(t) PL_BANNED(localtime)
#undef atoi
#define atoi(s) PL_BANNED(atoi)
#undef atol
#define atol(s) PL_BANNED(atol)
#undef gets
#define gets(s) PL_BANNED(gets)

#endif
