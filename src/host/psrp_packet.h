/* psrp_packet: the line packets of PowerShell's out-of-process protocol
 * (`pwsh -s`, docs/psrp.md 2.1) and the few PSRP fields the host has to
 * peek at inside them (MS-PSRP 2.2.4 fragments, 2.2.1 message headers).
 * A codec: pure functions over (pointer, length), no I/O (host role, but
 * nothing here depends on it).
 *
 * GUIDs are handled as their canonical text, lower-case and hyphenated, as
 * pwsh writes them (PSRP_GUID_LEN chars and a NUL); the all-zero GUID
 * names the RunspacePool, any other a pipeline. */
#ifndef OPENWINRM_PSRP_PACKET_H
#define OPENWINRM_PSRP_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define PSRP_GUID_LEN 36
#define PSRP_POOL_GUID "00000000-0000-0000-0000-000000000000"
/* The longest line accepted from pwsh. Its fragments are at most 32 KiB
 * plus a 21-byte header (BaseTransportManager.DefaultFragmentSize), about
 * 44 KB of base64; a client's Send may carry larger ones, which pwsh does
 * not echo. */
#define PSRP_PACKET_MAX_LINE (1024 * 1024)

/* [PS] OutOfProcessUtils: one element per line. */
enum psrp_packet_kind {
	PSRP_PACKET_DATA,
	PSRP_PACKET_DATA_ACK,
	PSRP_PACKET_COMMAND,
	PSRP_PACKET_COMMAND_ACK,
	PSRP_PACKET_SIGNAL,
	PSRP_PACKET_SIGNAL_ACK,
	PSRP_PACKET_CLOSE,
	PSRP_PACKET_CLOSE_ACK,
	PSRP_PACKET_KINDS
};

/* Data's Stream attribute (the DataPriorityType name). */
enum psrp_stream { PSRP_STREAM_DEFAULT, PSRP_STREAM_PROMPT_RESPONSE };

struct psrp_packet {
	enum psrp_packet_kind kind;
	enum psrp_stream stream;      /* Data only */
	char guid[PSRP_GUID_LEN + 1]; /* canonical lower case */
	const char *text;	      /* Data only: a view of the base64 text */
	size_t text_len;
};

/* One line, without its line end. ERR_FORMAT for anything but one of the
 * packets: `Data` with exactly the two attributes Stream and PSGuid and
 * text, every other element with exactly one PSGuid attribute and empty
 * (docs/psrp.md 2.1, [PS] ProcessElement). Either quote, blanks between
 * attributes; the base64 itself is not checked here. */
enum err psrp_packet_parse(const char *line, size_t len, struct psrp_packet *out);

/* Appends one packet and its "\n" to out: a Data of payload's bytes in
 * base64, or (payload NULL) the element kind for guid. */
enum err psrp_packet_encode(struct buf *out, enum psrp_packet_kind kind, enum psrp_stream stream,
			    const char *guid, const void *payload, size_t len);

/* The canonical form of a GUID's text in either case: ERR_FORMAT unless
 * it is 8-4-4-4-12 hex digits. */
enum err psrp_guid_parse(const char *s, size_t len, char out[PSRP_GUID_LEN + 1]);
/* The text of a GUID held in .NET's byte order (Guid.ToByteArray: the
 * first three fields little-endian), as PSRP message headers hold it. */
void psrp_guid_from_dotnet(const uint8_t bytes[16], char out[PSRP_GUID_LEN + 1]);

/* ---- PSRP peeks (MS-PSRP 2.2.4, 2.2.1) ---- */

#define PSRP_FRAGMENT_HEADER 21
#define PSRP_FRAGMENT_START 0x1
#define PSRP_FRAGMENT_END 0x2
#define PSRP_MESSAGE_HEADER 40

/* MS-PSRP 2.2.1 message types the host looks at. */
#define PSRP_MSG_SESSION_CAPABILITY 0x00010002u
#define PSRP_MSG_INIT_RUNSPACEPOOL 0x00010004u
#define PSRP_MSG_RUNSPACEPOOL_STATE 0x00021005u
#define PSRP_MSG_CREATE_PIPELINE 0x00021006u
#define PSRP_MSG_GET_COMMAND_METADATA 0x0002100Au
#define PSRP_MSG_PIPELINE_STATE 0x00041006u
#define PSRP_MSG_APPLICATION_PRIVATE_DATA 0x00021009u
#define PSRP_MSG_RUNSPACEPOOL_INIT_DATA 0x0002100Bu
#define PSRP_DESTINATION_CLIENT 1u

/* PSInvocationState, the terminal ones (MS-PSRP 2.2.3.5). */
#define PSRP_PIPELINE_STOPPED 3
#define PSRP_PIPELINE_COMPLETED 4
#define PSRP_PIPELINE_FAILED 5

struct psrp_fragment {
	uint64_t object_id, fragment_id;
	uint8_t flags;
	const uint8_t *blob; /* view */
	uint32_t blob_len;
};

/* The fragment at the start of p: ObjectId u64 BE, FragmentId u64 BE,
 * flags u8, BlobLength u32 BE, blob. *used is its whole length.
 * ERR_INCOMPLETE if p ends inside it. */
enum err psrp_fragment_peek(const uint8_t *p, size_t n, struct psrp_fragment *f, size_t *used);

struct psrp_message {
	uint32_t destination; /* 1 client, 2 server */
	uint32_t type;
	char rpid[PSRP_GUID_LEN + 1];
	char pid[PSRP_GUID_LEN + 1];
	const uint8_t *data; /* view: the UTF-8 data (a BOM and all) */
	size_t data_len;
};

/* The message header at the start of a start fragment's blob:
 * Destination u32 LE, MessageType u32 LE, RPID and PID (.NET order). */
enum err psrp_message_peek(const uint8_t *blob, size_t n, struct psrp_message *m);

/* The PID of the pipeline that a Command's Arguments open (whole
 * fragments; the first must start a CREATE_PIPELINE or a
 * GET_COMMAND_METADATA, which MS-PSRP 3.1.4.12 also runs as a pipeline:
 * Enter-PSSession sends one). ERR_FORMAT otherwise. */
enum err psrp_create_pipeline_pid(const uint8_t *p, size_t n, char pid[PSRP_GUID_LEN + 1]);

/* Whether the fragments in p hold a PIPELINE_STATE message that is
 * terminal (Stopped, Completed, Failed): 1 and *state if so, else 0. */
int psrp_pipeline_end_peek(const uint8_t *p, size_t n, uint32_t *state);

/* What a reconnecting client is told of the pool (MS-PSRP 2.2.2.29
 * RUNSPACEPOOL_INIT_DATA), read from the INIT_RUNSPACEPOOL of the Create's
 * whole fragments in p: the pool's RPID as the message holds it (.NET
 * byte order) and its runspace counts. ERR_FORMAT without one. */
struct psrp_pool_init {
	uint8_t rpid[16];
	int32_t min_runspaces, max_runspaces;
};
enum err psrp_pool_init_peek(const uint8_t *p, size_t n, struct psrp_pool_init *out);

/* The message type when p is exactly one fragment that is a whole message
 * (start and end), else 0. */
uint32_t psrp_single_message_type(const uint8_t *p, size_t n);

/* Appends one fragment holding a whole message: header, the PID all zeros
 * (a pool's message), a UTF-8 BOM and xml, as PowerShell writes them. */
enum err psrp_fragment_put(struct buf *out, uint64_t object_id, uint32_t destination, uint32_t type,
			   const uint8_t rpid[16], const char *xml);

#endif
