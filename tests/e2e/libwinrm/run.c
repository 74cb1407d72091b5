/* A program of a third party using libwinrm through its installed
 * header and shared library only: runs argv[4] on argv[1] as argv[2]
 * with password argv[3] (Basic over HTTPS, certificate checks off),
 * copies its output and exits with its exit code. */
#include <stdio.h>
#include <stdlib.h>

#include <winrm.h>

static void out(void *arg, enum winrm_stream stream, const void *data, size_t len)
{
	(void)arg;
	fwrite(data, 1, len, stream == WINRM_STDERR ? stderr : stdout);
}

int main(int argc, char **argv)
{
	struct winrm_options o = {0};
	struct winrm_session *s;
	char err[1024], shell[WINRM_ID_LEN + 1], cmd[WINRM_ID_LEN + 1];
	const char *line[1];
	int done = 0;
	uint32_t code = 0;

	if (argc != 6)
		return 2;
	o.target = argv[1];
	o.user = argv[2];
	o.password = argv[3];
	o.auth = WINRM_AUTH_BASIC;
	o.flags = WINRM_FLAG_SKIP_CA_CHECK | WINRM_FLAG_SKIP_CN_CHECK;
	o.config_dir = argv[5];
	line[0] = argv[4];
	if (winrm_session_new(&o, &s, err, sizeof(err)) != WINRM_OK) {
		fprintf(stderr, "%s\n", err);
		return 255;
	}
	if (winrm_shell_create(s, NULL, shell) != WINRM_OK || winrm_shell_command(s, shell, line, 1, 0, cmd) != WINRM_OK ||
	    winrm_shell_send(s, shell, cmd, NULL, 0, 1) != WINRM_OK) {
		fprintf(stderr, "%s\n", winrm_error(s));
		return 255;
	}
	for (int i = 0; i < 1000 && !done; i++) {
		enum winrm_result r = winrm_shell_receive(s, shell, cmd, out, NULL, &done, &code);
		if (r != WINRM_OK && r != WINRM_E_TIMEOUT) {
			fprintf(stderr, "%s\n", winrm_error(s));
			return 255;
		}
	}
	winrm_shell_signal(s, shell, cmd, WINRM_SIGNAL_TERMINATE);
	winrm_shell_delete(s, shell);
	winrm_session_free(s);
	return (int)code;
}
