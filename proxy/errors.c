#include "errors.h"

#include <uv.h>

const char *sg_strerror(int err)
{
	switch (err) {
	case SG_OK:
		return "success";
	case SG_ENOMEM:
		return "out of memory";
	case SG_EAGAIN:
		return "incomplete input";
	case SG_EPROTO:
		return "malformed protocol message";
	case SG_ETOOBIG:
		return "message too large";
	case SG_EAUTH:
		return "authentication failed";
	case SG_ECONFIG:
		return "invalid configuration";
	case SG_EIO:
		return "i/o error";
	case SG_ENOTSUP:
		return "not supported";
	case SG_ENOENT:
		return "not found";
	case SG_ERANGE:
		return "value out of range";
	default:
		if (err < 0 && err > -10000)
			return uv_strerror(err);
		return "unknown error";
	}
}
