/* base64.c — standard-alphabet, padded base64 (RFC 4648 section 4).
 *
 * The decoder is deliberately strict because everything it sees comes from
 * the network or from stored SCRAM verifiers: no whitespace, no missing
 * padding, '=' only in the last one or two positions, and the unused bits
 * of the last symbol must be zero (RFC 4648 section 3.5), so every byte
 * string has exactly one accepted encoding. That lets callers compare
 * encoded forms directly (the SCRAM "c=" attribute). */
#include "scram.h"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of one base64 symbol, or -1 for anything outside the alphabet
 * (including '=', which callers handle before asking). */
static int b64_symbol_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Writes the encoding plus a terminating NUL (so the result is also a C
 * string); out_len excludes the NUL. */
int b64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap, size_t *out_len)
{
	size_t need, o = 0;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 2)
		return SG_ERANGE;
	need = (n + 2) / 3 * 4;
	if (out_cap < need + 1)
		return SG_ERANGE;
	for (size_t i = 0; i < n; i += 3) {
		size_t left = n - i;
		uint32_t v = (uint32_t)in[i] << 16;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = left > 1 ? b64_alphabet[(v >> 6) & 0x3f] : '=';
		out[o++] = left > 2 ? b64_alphabet[v & 0x3f] : '=';
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return 0;
}

/* Number of '=' at the end of a quantum-aligned encoding, or -1 if the
 * padding is malformed. */
static int b64_padding_count(const char *in, size_t n)
{
	if (n == 0)
		return 0;
	if (in[n - 1] != '=')
		return 0;
	if (in[n - 2] != '=')
		return 1;
	if (in[n - 3] == '=')
		return -1;
	return 2;
}

/* Decodes without a terminating NUL. Every failure leaves *out_len
 * untouched; out may hold partial output after SG_EPROTO. */
int b64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len)
{
	int pad;
	size_t need, o = 0;

	if (n % 4 != 0)
		return SG_EPROTO;
	pad = b64_padding_count(in, n);
	if (pad < 0)
		return SG_EPROTO;
	need = n / 4 * 3 - (size_t)pad;
	if (need > out_cap)
		return SG_ERANGE;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		int symbols = last ? 4 - pad : 4;
		uint32_t v = 0;

		for (int k = 0; k < 4; k++) {
			int d = 0;

			if (k < symbols) {
				d = b64_symbol_value((unsigned char)in[i + (size_t)k]);
				if (d < 0)
					return SG_EPROTO;
			}
			v = (v << 6) | (uint32_t)d;
		}
		/* Non-zero leftover bits mean a second spelling of the same
		 * bytes; refuse it so encodings stay canonical. */
		if ((pad == 1 && last && (v & 0xff) != 0) || (pad == 2 && last && (v & 0xffff) != 0))
			return SG_EPROTO;
		out[o++] = (uint8_t)(v >> 16);
		if (symbols > 2)
			out[o++] = (uint8_t)(v >> 8);
		if (symbols > 3)
			out[o++] = (uint8_t)v;
	}
	if (out_len)
		*out_len = o;
	return 0;
}
