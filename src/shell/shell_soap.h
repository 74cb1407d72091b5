/* shell_soap: the SOAP bodies of the remote shell resource (cmd), both
 * sides (the table of shell_ops.c names these per operation). Requests
 * and replies are the operation's structs of shell_ops.h.
 * Service: the parsers take ShellId from the selector; a missing or
 * malformed one is ERR_WSMAN_UNKNOWN_SHELL (Windows answers the same for
 * both), a malformed body ERR_WSMAN_SCHEMA; on error the struct holds
 * nothing. The replies are written as Windows writes them (single line,
 * Windows' prefixes). Client: the requests as Windows' client sends them
 * (ERR_FORMAT for text that is not UTF-8), and the readers of a reply
 * parsed by wsman_parse (ERR_FORMAT when it is not the expected one). */
#ifndef OPENWINRM_SHELL_SOAP_H
#define OPENWINRM_SHELL_SOAP_H

#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "shell/shell_ops.h"

struct wsman_request;
struct wsman_client_header;

enum err shell_soap_create_parse(const struct wsman_request *req,
				 const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_command_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_send_parse(const struct wsman_request *req, const struct shell_service_ctx *ctx,
			       void *out);
enum err shell_soap_receive_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_signal_parse(const struct wsman_request *req,
				 const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_delete_parse(const struct wsman_request *req,
				 const struct shell_service_ctx *ctx, void *out);

/* The PowerShell endpoints' operations that differ from cmd's (Delete
 * and the Command, Send and Signal replies are the same). */
enum err shell_soap_ps_create_parse(const struct wsman_request *req,
				    const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_ps_command_parse(const struct wsman_request *req,
				     const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_ps_send_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_ps_receive_parse(const struct wsman_request *req,
				     const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_ps_signal_parse(const struct wsman_request *req,
				    const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_ps_create_reply(struct buf *out, const struct wsman_request *req,
				    const struct shell_reply_ctx *ctx, const void *request,
				    const void *answer);

enum err shell_soap_create_reply(struct buf *out, const struct wsman_request *req,
				 const struct shell_reply_ctx *ctx, const void *request,
				 const void *answer);
enum err shell_soap_command_reply(struct buf *out, const struct wsman_request *req,
				  const struct shell_reply_ctx *ctx, const void *request,
				  const void *answer);
enum err shell_soap_send_reply(struct buf *out, const struct wsman_request *req,
			       const struct shell_reply_ctx *ctx, const void *request,
			       const void *answer);
enum err shell_soap_receive_reply(struct buf *out, const struct wsman_request *req,
				  const struct shell_reply_ctx *ctx, const void *request,
				  const void *answer);
enum err shell_soap_signal_reply(struct buf *out, const struct wsman_request *req,
				 const struct shell_reply_ctx *ctx, const void *request,
				 const void *answer);
enum err shell_soap_delete_reply(struct buf *out, const struct wsman_request *req,
				 const struct shell_reply_ctx *ctx, const void *request,
				 const void *answer);

/* Disconnected shells and the Enumerate of shells and commands (MS-PSRP
 * 3.1.5.3.16 to 3.1.5.3.19, 3.1.4.11): the service's parsers and replies. */
enum err shell_soap_disconnect_parse(const struct wsman_request *req,
				     const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_reconnect_parse(const struct wsman_request *req,
				    const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_connect_parse(const struct wsman_request *req,
				  const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_list_shells_parse(const struct wsman_request *req,
				      const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_list_commands_parse(const struct wsman_request *req,
					const struct shell_service_ctx *ctx, void *out);
enum err shell_soap_disconnect_reply(struct buf *out, const struct wsman_request *req,
				     const struct shell_reply_ctx *ctx, const void *request,
				     const void *answer);
enum err shell_soap_reconnect_reply(struct buf *out, const struct wsman_request *req,
				    const struct shell_reply_ctx *ctx, const void *request,
				    const void *answer);
enum err shell_soap_connect_reply(struct buf *out, const struct wsman_request *req,
				  const struct shell_reply_ctx *ctx, const void *request,
				  const void *answer);
enum err shell_soap_list_reply(struct buf *out, const struct wsman_request *req,
			       const struct shell_reply_ctx *ctx, const void *request,
			       const void *answer);

/* The bytes a ReceiveResponse may carry so that the whole envelope fits
 * max_envelope_size (base64 growth and per-chunk markup included). */
uint32_t shell_soap_receive_budget(uint64_t max_envelope_size);

/* The client builders address h->resource_uri when it is set (a
 * PowerShell session configuration), else cmd. A command_id, when the
 * request has one, is sent (PowerShell chooses its own); none addresses
 * the shell itself (PowerShell's pool). */
enum err shell_soap_create_build(struct buf *out, const struct wsman_client_header *h,
				 const void *req);
/* PowerShell's Create: shell_id, protocol_version and creation_xml are
 * required. */
enum err shell_soap_ps_create_build(struct buf *out, const struct wsman_client_header *h,
				    const void *req);
enum err shell_soap_ps_receive_build(struct buf *out, const struct wsman_client_header *h,
				     const void *req);
enum err shell_soap_command_build(struct buf *out, const struct wsman_client_header *h,
				  const void *req);
enum err shell_soap_send_build(struct buf *out, const struct wsman_client_header *h,
			       const void *req);
enum err shell_soap_receive_build(struct buf *out, const struct wsman_client_header *h,
				  const void *req);
enum err shell_soap_signal_build(struct buf *out, const struct wsman_client_header *h,
				 const void *req);
enum err shell_soap_delete_build(struct buf *out, const struct wsman_client_header *h,
				 const void *req);
enum err shell_soap_disconnect_build(struct buf *out, const struct wsman_client_header *h,
				     const void *req);
enum err shell_soap_reconnect_build(struct buf *out, const struct wsman_client_header *h,
				    const void *req);
enum err shell_soap_connect_build(struct buf *out, const struct wsman_client_header *h,
				  const void *req);

/* Create: the ShellId (rsp:Shell/rsp:ShellId, else the ShellId selector
 * of ResourceCreated) into a struct shell_create_reply. Command: the
 * CommandId into a struct shell_command_reply. Receive: each rsp:Stream's
 * decoded bytes to the struct shell_received's output, in order, and
 * done and exit_code from rsp:CommandState. */
enum err shell_soap_create_read(const struct wsman_request *resp, void *result);
/* PowerShell's Create: the ShellId, and the rsp:Shell element as XML that
 * reads alone (NULL when the reply has none), which the client hands to
 * PowerShell (it reads IdleTimeOut and BufferMode from it). */
struct shell_ps_created {
	struct shell_create_reply reply;
	char *shell_xml; /* free it */
};
enum err shell_soap_ps_create_read(const struct wsman_request *resp, void *result);
/* PowerShell's Connect: the reply's connectResponseXml element as XML
 * that reads alone (NULL for a command's Connect, which has none), as
 * PowerShell wants it handed over (it extracts the element by name). */
struct shell_ps_connected {
	char *response_xml; /* free it */
};
enum err shell_soap_connect_read(const struct wsman_request *resp, void *result);
enum err shell_soap_command_read(const struct wsman_request *resp, void *result);
enum err shell_soap_receive_read(const struct wsman_request *resp, void *result);

#endif
