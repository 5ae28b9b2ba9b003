/*
 * xcrypt.node: a minimal N-API binding of libxcrypt's crypt_rn(3), so that pochta can verify the hashes
 * that no npm package implements, yescrypt ($y$) above all (the Debian 12 default in /etc/shadow).
 *
 *   hash(phrase: string, setting: string): Promise<string | null>
 *
 * The work runs on the libuv thread pool (napi async work): yescrypt costs ~50 ms and must not block the
 * event loop. crypt_rn's result is null on failure; a result starting with '*' is libxcrypt's failure token,
 * also returned as null. The caller compares the result with the stored hash in constant time.
 * Memory: one calloc'd struct crypt_data per call, zeroed and freed after use.
 */
#include <crypt.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *phrase;
  char *setting;
  struct crypt_data *data;
  const char *result;
} job_t;

static char *dup_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *buf = malloc(len + 1);
  if (buf == NULL) return NULL;
  if (napi_get_value_string_utf8(env, v, buf, len + 1, &len) != napi_ok) {
    free(buf);
    return NULL;
  }
  return buf;
}

static void execute(napi_env env, void *arg) {
  (void)env;
  job_t *job = arg;
  const char *r = crypt_rn(job->phrase, job->setting, job->data, (int)sizeof *job->data);
  job->result = (r == NULL || r[0] == '*') ? NULL : r;
}

static void complete(napi_env env, napi_status status, void *arg) {
  job_t *job = arg;
  napi_value out;
  if (status == napi_ok && job->result != NULL) napi_create_string_utf8(env, job->result, NAPI_AUTO_LENGTH, &out);
  else napi_get_null(env, &out);
  napi_resolve_deferred(env, job->deferred, out);
  napi_delete_async_work(env, job->work);
  size_t plen = strlen(job->phrase);
  memset(job->phrase, 0, plen);
  memset(job->data, 0, sizeof *job->data);
  free(job->phrase);
  free(job->setting);
  free(job->data);
  free(job);
}

static napi_value hash(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "hash(phrase, setting) needs two strings");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->phrase = dup_string(env, argv[0]);
  job->setting = dup_string(env, argv[1]);
  job->data = calloc(1, sizeof *job->data);
  if (job->phrase == NULL || job->setting == NULL || job->data == NULL) {
    free(job->phrase);
    free(job->setting);
    free(job->data);
    free(job);
    napi_throw_type_error(env, NULL, "hash(phrase, setting) needs two strings");
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "xcrypt", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "hash", NAPI_AUTO_LENGTH, hash, NULL, &fn);
  napi_set_named_property(env, exports, "hash", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
