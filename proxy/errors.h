/* errors.h — shardgate's error codes.
 *
 * Every function that can fail returns 0 or one of these negative codes
 * (libuv's convention). I/O errors coming straight from libuv keep their
 * UV_E* value; these codes cover everything else. */
#ifndef SG_ERRORS_H
#define SG_ERRORS_H

#define SG_WUR __attribute__((warn_unused_result))

enum sg_err {
	SG_OK = 0,
	SG_ENOMEM = -10001,  /* allocation failed */
	SG_EAGAIN = -10002,  /* input incomplete: need more bytes */
	SG_EPROTO = -10003,  /* malformed protocol message */
	SG_ETOOBIG = -10004, /* declared length above the configured cap */
	SG_EAUTH = -10005,   /* authentication failed */
	SG_ECONFIG = -10006, /* invalid configuration */
	SG_EIO = -10007,     /* I/O failure not described by libuv */
	SG_ENOTSUP = -10008, /* feature not supported */
	SG_ENOENT = -10009,  /* lookup found nothing */
	SG_ERANGE = -10010,  /* value out of range */
};

/* sg_strerror returns a static description of a code (SG_* or UV_E*). */
const char *sg_strerror(int err);

#endif
