/* civil.h — days between proleptic Gregorian dates, for the places that
 * turn timestamps into numbers (router/route_value.c, proxy/merge_time.c). */
#ifndef SG_CIVIL_H
#define SG_CIVIL_H

#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (astronomical years: 1 BC is 0), by
 * Howard Hinnant's days_from_civil. */
static inline int64_t sg_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

#endif
