/* Fuzz harness for the decoders of the privileged part's messages (with
 * the network process and with the GSSAPI acceptor). The first byte picks
 * the message type (as enum ipc_type), the rest is the body. Whatever a
 * decoder accepts must encode back to exactly the same bytes: the codec has
 * one representation per message, so nothing can be smuggled past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ipc/ipc.h"
#include "ipc/ipc_priv.h"

static void same_or_die(const struct buf *out, const uint8_t *data, size_t size)
{
	if (buf_len(out) != size || memcmp(buf_ptr(out), data, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in, out;
	int decoded = 0;

	if (size < 1)
		return 0;
	buf_init(&in, IPC_MAX_MSG - IPC_HEADER_LEN);
	buf_init(&out, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (buf_put(&in, data + 1, size - 1) != ERR_OK)
		goto done;
	switch (data[0]) {
	case IPC_AUTH_PASSWORD: {
		struct ipc_auth_password m;
		if (ipc_auth_password_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_password_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_password_clear(&m);
		}
		break;
	}
	case IPC_AUTH_RESULT: {
		struct ipc_auth_result m;
		if (ipc_auth_result_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_result_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_result_clear(&m);
		}
		break;
	}
	case IPC_HOST_OPEN: {
		struct ipc_host_open m;
		decoded = ipc_host_open_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_host_open_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	case IPC_TOKEN_RENEW: {
		struct ipc_token_renew m;
		decoded = ipc_token_renew_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_token_renew_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	case IPC_TOKEN_RENEWED: {
		struct ipc_token_renewed m;
		decoded = ipc_token_renewed_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_token_renewed_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	case IPC_HOST_OPENED: {
		struct ipc_host_opened m;
		decoded = ipc_host_opened_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_host_opened_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	case IPC_HOST_FAILED: {
		enum err r;
		decoded = ipc_host_failed_decode(&in, &r) == ERR_OK;
		if (decoded && ipc_host_failed_encode(&out, r) != ERR_OK)
			abort();
		break;
	}
	case IPC_CONFIG: {
		struct ipc_config m;
		if (ipc_config_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_config_encode(&out, &m) != ERR_OK)
				abort();
			ipc_config_clear(&m);
		}
		break;
	}
	case IPC_CONFIG_CHANGE: {
		struct ipc_config_change m;
		if (ipc_config_change_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_config_change_encode(&out, &m) != ERR_OK)
				abort();
			ipc_config_change_clear(&m);
		}
		break;
	}
	case IPC_CONFIG_RESULT: {
		struct ipc_config_result m;
		if (ipc_config_result_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_config_result_encode(&out, &m) != ERR_OK)
				abort();
			ipc_config_result_clear(&m);
		}
		break;
	}
	case IPC_AUTH_GSS: {
		struct ipc_auth_gss m;
		if (ipc_auth_gss_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_gss_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_gss_clear(&m);
		}
		break;
	}
	case IPC_AUTH_CERT: {
		struct ipc_auth_cert m;
		if (ipc_auth_cert_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_cert_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_cert_clear(&m);
		}
		break;
	}
	case IPC_AUTH_CREDSSP: {
		struct ipc_auth_credssp m;
		if (ipc_auth_credssp_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_credssp_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_credssp_clear(&m);
		}
		break;
	}
	case IPC_AUTH_CREDSSP_RESULT: {
		struct ipc_auth_credssp_result m;
		if (ipc_auth_credssp_result_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_credssp_result_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_credssp_result_clear(&m);
		}
		break;
	}
	case IPC_ACCEPT: {
		struct ipc_accept m;
		if (ipc_accept_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_accept_encode(&out, &m) != ERR_OK)
				abort();
			ipc_accept_clear(&m);
		}
		break;
	}
	case IPC_ACCEPTED: {
		struct ipc_accepted m;
		if (ipc_accepted_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_accepted_encode(&out, &m) != ERR_OK)
				abort();
			ipc_accepted_clear(&m);
		}
		break;
	}
	case IPC_AUTH_GSS_RESULT: {
		struct ipc_auth_gss_result m;
		if (ipc_auth_gss_result_decode(&in, &m) == ERR_OK) {
			decoded = 1;
			if (ipc_auth_gss_result_encode(&out, &m) != ERR_OK)
				abort();
			ipc_auth_gss_result_clear(&m);
		}
		break;
	}
	case IPC_AUDIT: {
		struct audit_event m;
		decoded = ipc_audit_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_audit_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	case IPC_CIM_INVOKE: {
		static struct ipc_cim_invoke m;
		decoded = ipc_cim_invoke_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_cim_invoke_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	case IPC_CIM_INVOKED: {
		static struct ipc_cim_invoked m;
		decoded = ipc_cim_invoked_decode(&in, &m) == ERR_OK;
		if (decoded && ipc_cim_invoked_encode(&out, &m) != ERR_OK)
			abort();
		break;
	}
	default:
		goto done;
	}
	if (decoded)
		same_or_die(&out, data + 1, size - 1);
done:
	buf_clear(&in);
	buf_clear(&out);
	return 0;
}
