/* SPDX-License-Identifier: MIT */
#include "fake_fcgi.h"

#include <dirent.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

static char *out_buf;
static size_t out_len, out_cap;

char *FCGX_GetParam(const char *name, FCGX_ParamArray envp)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

int FCGX_PutStr(const char *str, int n, FCGX_Stream *stream)
{
	(void)stream;
	if (n <= 0)
		return 0;
	if (out_len + (size_t)n + 1 > out_cap) {
		out_cap = (out_len + (size_t)n + 1) * 2;
		out_buf = dcre_xrealloc(out_buf, out_cap);
	}
	memcpy(out_buf + out_len, str, (size_t)n);
	out_len += (size_t)n;
	out_buf[out_len] = '\0';
	return n;
}

int FCGX_GetStr(char *str, int n, FCGX_Stream *stream)
{
	(void)str;
	(void)n;
	(void)stream;
	return 0;
}

int FCGX_HasSeenEOF(FCGX_Stream *stream)
{
	(void)stream;
	return EOF;
}

const char *fake_fcgi_output(size_t *len)
{
	if (len)
		*len = out_len;
	return out_buf ? out_buf : "";
}

void fake_fcgi_reset(void)
{
	out_len = 0;
	if (out_buf)
		out_buf[0] = '\0';
}

void fake_fcgi_free(void)
{
	free(out_buf);
	out_buf = NULL;
	out_len = out_cap = 0;
}

void fake_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[384];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}
