/* SPDX-License-Identifier: MIT */
/* Monotonic time and sleeps: the one place deadlines are measured. */
#ifndef DCRE_TIMEUTIL_H
#define DCRE_TIMEUTIL_H

/* Seconds on CLOCK_MONOTONIC. */
double dcre_time_now(void);
/* Milliseconds on CLOCK_MONOTONIC. */
long long dcre_time_now_ms(void);
/* Sleep for seconds (<= 0: return at once), resuming after signals. */
void dcre_time_sleep(double seconds);

#endif
