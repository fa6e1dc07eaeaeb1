/* sql_thread.c — see sql_thread.h. */
#include <pthread.h>

#include "errors.h"
#include "sql_thread.h"

int sql_thread_run(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (pthread_attr_init(&attr) != 0)
		return SG_ENOMEM;
	err = pthread_attr_setstacksize(&attr, SQL_THREAD_STACK_SIZE);
	if (err == 0)
		err = pthread_create(&th, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (err != 0)
		return SG_ENOMEM;
	pthread_join(th, NULL);
	return 0;
}
