/* shell_ops: freeing the request structs (shared by wsman/, ipc/ and host/). */
#include "shell/shell_ops.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void free_strings(char **v, uint32_t n)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void shell_create_req_free(struct shell_create_req *r)
{
	free(r->working_dir);
	free(r->client_ip);
	free_strings(r->env_names, r->nenv);
	free_strings(r->env_values, r->nenv);
	memset(r, 0, sizeof(*r));
}

void shell_command_req_free(struct shell_command_req *r)
{
	free_strings(r->argv, r->argc);
	memset(r, 0, sizeof(*r));
}

void shell_send_req_free(struct shell_send_req *r)
{
	if (r->data) {
		/* stdin may carry passwords typed into the remote command */
		OPENSSL_cleanse(r->data, r->len);
		free(r->data);
	}
	memset(r, 0, sizeof(*r));
}
