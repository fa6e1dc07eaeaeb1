/* relay_floor.c — the least a user-space proxy can do: a byte relay.
 *
 * Usage: relay_floor LISTEN_PORT BACKEND_HOST BACKEND_PORT THREADS
 *
 * Listens on 127.0.0.1:LISTEN_PORT. Each accepted client gets its own
 * connection to the backend — 127.0.0.1-style address over TCP, or, when
 * BACKEND_HOST starts with '/', PostgreSQL's Unix socket
 * BACKEND_HOST/.s.PGSQL.BACKEND_PORT — and from then on every byte read
 * on one side is written to the other, unparsed. Startup and
 * authentication pass through untouched, so PostgreSQL authenticates the
 * client itself.
 *
 * Why it exists: bench/pgbench.sh runs it next to PgBouncer and shardgate
 * so that a run shows what a proxy costs on this machine before any
 * proxy logic — the extra TCP segments, reads, writes and context
 * switches of the hop itself. It pools nothing, parses nothing and
 * handles no errors beyond closing both ends, so it is a measuring stick,
 * never a proxy to use.
 *
 * THREADS event loops (epoll), each owning the pairs given to it; thread
 * 0 also accepts and hands pairs out round-robin, as shardgate's
 * supervisor does with its workers. Descriptors are blocking: a read is
 * only issued after epoll reported data, and a write blocks until the
 * peer took everything, which is right for request/response loads such as
 * pgbench's and wrong for large streams in both directions at once.
 * Runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
	MAX_FD = 65536, /* descriptors index the peer table */
	MAX_THREADS = 64,
	MAX_EVENTS = 64,
	RELAY_BUF = 65536,
	LISTEN_BACKLOG = 1024
};

typedef struct relay {
	int listen_fd;
	int nthreads;
	int epfd[MAX_THREADS];
	unsigned next; /* round-robin cursor, used by thread 0 only */
	const char *backend_host;
	int backend_port;
} relay_t;

/* peer[fd] is the other end of fd's pair. Written by thread 0 before it
 * registers the pair with its loop (epoll_ctl orders the writes), cleared
 * by the loop that closes the pair. */
static int peer[MAX_FD];
static relay_t relay;

static void set_nodelay(int fd)
{
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Returns a connected socket to the backend, or -1. */
static int relay_backend_connect(void)
{
	int fd = -1;
	if (relay.backend_host[0] == '/') {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		int n = snprintf(a.sun_path, sizeof(a.sun_path), "%s/.s.PGSQL.%d", relay.backend_host,
		                 relay.backend_port);
		if (n < 0 || (size_t)n >= sizeof(a.sun_path))
			return -1;
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons((uint16_t)relay.backend_port)};
		if (inet_pton(AF_INET, relay.backend_host, &a.sin_addr) != 1)
			return -1;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			set_nodelay(fd);
			return fd;
		}
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static int relay_watch(int epfd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Accepts one client and gives the new pair to the next loop. */
static void relay_accept(void)
{
	int c = accept(relay.listen_fd, NULL, NULL);
	if (c < 0)
		return;
	int s = relay_backend_connect();
	if (s < 0 || c >= MAX_FD || s >= MAX_FD) {
		fprintf(stderr, "relay_floor: cannot pair client fd %d with the backend\n", c);
		close(c);
		if (s >= 0)
			close(s);
		return;
	}
	set_nodelay(c);
	peer[c] = s;
	peer[s] = c;
	int epfd = relay.epfd[relay.next++ % (unsigned)relay.nthreads];
	if (relay_watch(epfd, c) != 0 || relay_watch(epfd, s) != 0) {
		close(c); /* closing drops any registration that succeeded */
		close(s);
	}
}

static void relay_pair_close(int fd)
{
	int other = peer[fd];
	peer[fd] = peer[other] = -1;
	close(fd); /* closing also removes both from their epoll set */
	close(other);
}

/* Moves what fd has to its peer; closes the pair on end-of-file or error. */
static void relay_forward(int fd, char *buf)
{
	ssize_t n = read(fd, buf, RELAY_BUF);
	if (n <= 0) {
		relay_pair_close(fd);
		return;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(peer[fd], buf + off, (size_t)(n - off));
		if (w <= 0) {
			relay_pair_close(fd);
			return;
		}
		off += w;
	}
}

static void *relay_loop(void *arg)
{
	int epfd = relay.epfd[(intptr_t)arg];
	struct epoll_event ev[MAX_EVENTS];
	char *buf = malloc(RELAY_BUF);
	if (buf == NULL) {
		fprintf(stderr, "relay_floor: out of memory\n");
		exit(1);
	}
	for (;;) {
		int n = epoll_wait(epfd, ev, MAX_EVENTS, -1);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == relay.listen_fd)
				relay_accept();
			else if (peer[fd] >= 0)
				relay_forward(fd, buf);
		}
	}
	return NULL;
}

static int relay_listen(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		perror("relay_floor: listen");
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: relay_floor LISTEN_PORT BACKEND_HOST BACKEND_PORT THREADS\n");
		return 2;
	}
	int port = atoi(argv[1]);
	relay.backend_host = argv[2];
	relay.backend_port = atoi(argv[3]);
	relay.nthreads = atoi(argv[4]);
	if (port <= 0 || port > 65535 || relay.backend_port <= 0 || relay.backend_port > 65535 ||
	    relay.nthreads < 1 || relay.nthreads > MAX_THREADS) {
		fprintf(stderr, "relay_floor: bad port or thread count\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* a vanished peer is an EPIPE, handled per pair */
	memset(peer, -1, sizeof(peer));
	relay.listen_fd = relay_listen(port);
	if (relay.listen_fd < 0)
		return 1;
	for (int i = 0; i < relay.nthreads; i++) {
		relay.epfd[i] = epoll_create1(EPOLL_CLOEXEC);
		if (relay.epfd[i] < 0) {
			perror("relay_floor: epoll_create1");
			return 1;
		}
	}
	if (relay_watch(relay.epfd[0], relay.listen_fd) != 0) {
		perror("relay_floor: epoll_ctl");
		return 1;
	}
	pthread_t tid;
	for (intptr_t i = 1; i < relay.nthreads; i++) {
		if (pthread_create(&tid, NULL, relay_loop, (void *)i) != 0) {
			fprintf(stderr, "relay_floor: cannot start thread %d\n", (int)i);
			return 1;
		}
	}
	relay_loop((void *)0);
	return 0;
}
