/*
 * fdutil.node: the one file-descriptor call Node does not offer, for pbxgate.
 *
 *   dup(fd: number): number   a new descriptor for the same open socket or file
 *                             (fcntl F_DUPFD_CLOEXEC); throws an Error with the
 *                             errno name as code (EBADF...) when it fails
 *
 * Why: the registrar's threads (firmware/pbx/registrar/threads.ts) read the
 * SIP UDP socket that the main thread bound. Each libuv handle closes its
 * descriptor when it is closed, and threads share the descriptor table, so
 * a thread given the main thread's own number would close the main thread's
 * socket when it stops, and the main thread would later close a number that
 * may belong to another file by then. Each thread gets its own duplicate.
 *
 * Node-API only, so one build serves every Node major. Built by
 * scripts/build.mjs with gcc / aarch64-linux-gnu-gcc.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <string.h>

/* The errno names fcntl(F_DUPFD_CLOEXEC) can give (strerrorname_np needs a newer glibc than the boards'). */
static napi_value throw_errno(napi_env env, int err) {
  const char *code = err == EBADF ? "EBADF" : err == EMFILE ? "EMFILE" : err == EINVAL ? "EINVAL" : "EIO";
  napi_throw_error(env, code, strerror(err));
  return NULL;
}

static napi_value dup_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "fdutil.dup: a file descriptor (integer >= 0) is required");
    return NULL;
  }
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return throw_errno(env, errno);
  napi_value result;
  if (napi_create_int32(env, copy, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "dup", NAPI_AUTO_LENGTH, dup_fd, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "dup", fn) != napi_ok) return NULL;
  return exports;
}
