/* sql_thread.h — run one libpg_query job on a short-lived thread with a
 * large stack.
 *
 * libpg_query's parser and deparser and protobuf-c recurse once per
 * nesting level on the C stack; the grammar accepts nesting deep enough
 * to need more than the event loop's 8 MB. The stack is reserved, not
 * touched, so an ordinary statement costs only the thread start. The
 * thread's libpg_query memory context is freed when it ends. */
#ifndef SG_SQL_THREAD_H
#define SG_SQL_THREAD_H

#include <stddef.h>

#define SQL_THREAD_STACK_SIZE ((size_t)256 << 20)

/* Runs fn(arg) on a new thread with a SQL_THREAD_STACK_SIZE stack and
 * waits for it. Returns 0 once fn has returned, or SG_ENOMEM when the
 * thread could not be started (fn did not run). fn reports its own
 * result through arg. */
int sql_thread_run(void *(*fn)(void *), void *arg);

#endif
