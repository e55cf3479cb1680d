/* SPDX-License-Identifier: MIT */
#include "timeutil.h"

#include <errno.h>
#include <time.h>

double dcre_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long dcre_time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dcre_time_sleep(double seconds)
{
	struct timespec t;

	if (seconds <= 0)
		return;
	/* an absolute deadline, so a signal does not stretch the sleep */
	clock_gettime(CLOCK_MONOTONIC, &t);
	long long ns = (long long)t.tv_nsec + (long long)(seconds * 1e9);
	t.tv_sec += (time_t)(ns / 1000000000LL);
	t.tv_nsec = (long)(ns % 1000000000LL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}
