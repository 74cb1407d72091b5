/* xpress_bench: what PowerShell's xpress compression costs and gains on
 * the data it carries (docs/performance.md). Encodes and decodes a
 * payload of CLIXML, the text of PowerShell's serialized objects, and one
 * of random bytes, through psrp/xpress.h, and prints the ratio and MB/s
 * of each direction (median of 9 runs). `make bench-xpress` builds and
 * runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "psrp/xpress.h"

#define PAYLOAD (4u << 20)
#define RUNS 9

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Get-Process output as PowerShell serializes it: one object per
 * process, names and numbers varying. */
static void fill_clixml(uint8_t *p, size_t n)
{
	static const char *names[] = {"pwsh", "systemd", "sshd", "winrmd", "bash", "kworker/0:1"};
	size_t at = 0;

	for (unsigned i = 0; at < n; i++) {
		char obj[512];
		int len = snprintf(
		    obj, sizeof(obj),
		    "<Obj RefId=\"%u\"><TNRef RefId=\"0\" /><ToString>System.Diagnostics.Process "
		    "(%s)</ToString><Props><S N=\"Name\">%s</S><I32 N=\"Id\">%u</I32><I64 "
		    "N=\"WorkingSet64\">%u</I64><Db N=\"CPU\">%u.%02u</Db></Props></Obj>",
		    i, names[i % 6], names[i % 6], 1000 + i * 7, 4096u * (i * 37 % 5000), i % 97,
		    i % 100);
		size_t take = (size_t)len < n - at ? (size_t)len : n - at;
		memcpy(p + at, obj, take);
		at += take;
	}
}

static void fill_random(uint8_t *p, size_t n)
{
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void bench(const char *name, const uint8_t *data, struct xpress_codec *c)
{
	double enc[RUNS], dec[RUNS];
	struct buf packed, back;

	buf_init(&packed, xpress_stream_encoded_max(PAYLOAD));
	buf_init(&back, PAYLOAD);
	for (int r = 0; r < RUNS; r++) {
		buf_reset(&packed);
		buf_reset(&back);
		double t0 = now();
		if (xpress_stream_encode(c, data, PAYLOAD, &packed) != ERR_OK)
			exit(1);
		double t1 = now();
		if (xpress_stream_decode(c, buf_ptr(&packed), buf_len(&packed), &back) != ERR_OK ||
		    buf_len(&back) != PAYLOAD || memcmp(buf_ptr(&back), data, PAYLOAD) != 0)
			exit(1);
		enc[r] = t1 - t0;
		dec[r] = now() - t1;
	}
	qsort(enc, RUNS, sizeof(double), by_value);
	qsort(dec, RUNS, sizeof(double), by_value);
	printf("%-8s %u bytes -> %zu (ratio %.3f)  encode %.0f MB/s  decode %.0f MB/s\n", name,
	       PAYLOAD, buf_len(&packed), (double)buf_len(&packed) / PAYLOAD,
	       PAYLOAD / enc[RUNS / 2] / 1e6, PAYLOAD / dec[RUNS / 2] / 1e6);
	buf_clear(&packed);
	buf_clear(&back);
}

int main(void)
{
	uint8_t *data = malloc(PAYLOAD);
	struct xpress_codec *c;

	if (!data || xpress_codec_new(&c) != ERR_OK)
		return 1;
	fill_clixml(data, PAYLOAD);
	bench("CLIXML", data, c);
	fill_random(data, PAYLOAD);
	bench("random", data, c);
	xpress_codec_free(c);
	free(data);
	return 0;
}
