/* types.h — forward declarations that break the cycles between clients,
 * servers, pools and the proxy. Each file includes what it uses. */
#ifndef SG_TYPES_H
#define SG_TYPES_H

#include <stddef.h>

typedef struct sg_client sg_client_t;
typedef struct sg_server sg_server_t;
typedef struct sg_pool sg_pool_t;
typedef struct sg_proxy sg_proxy_t;
typedef struct sg_pstmt sg_pstmt_t;
typedef struct sg_fanout sg_fanout_t;

/* Intrusive doubly linked list (a node is embedded in its owner). */
typedef struct sg_list {
	struct sg_list *prev, *next;
} sg_list_t;

#define sg_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void sg_list_init(sg_list_t *l)
{
	l->prev = l->next = l;
}
static inline int sg_list_empty(const sg_list_t *l)
{
	return l->next == l;
}
static inline void sg_list_push_back(sg_list_t *head, sg_list_t *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}
static inline void sg_list_push_front(sg_list_t *head, sg_list_t *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}
static inline void sg_list_remove(sg_list_t *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#endif
