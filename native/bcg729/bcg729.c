/*
 * bcg729.node: G.729 (Annex A bitstream) decoding and encoding for pbxgate,
 * backed by Debian's libbcg729 (GPL-3.0-or-later, linked statically: see
 * docs/g729.md). Node-API only, so one build serves every Node major.
 *
 *   decode(frames: Uint8Array): Int16Array   whole 10-byte frames -> 80 samples each
 *   encode(samples: Int16Array): Buffer      whole 80-sample frames -> 10 bytes each (VAD off)
 *   version: string                          libbcg729's version, e.g. "1.1.1"
 *
 * Each call is one decoder (encoder) channel from the first frame to the last:
 * the codec's state runs across the frames of one call, never across calls.
 * Lengths that are not whole frames throw a RangeError (code E_G729_LENGTH);
 * the JS wrapper (firmware/media/g729.ts) checks them first and says it better.
 * Annex B SID frames (2 bytes) are not accepted: in a headerless stream they
 * cannot be told from the 10-byte frames (see docs/g729.md).
 *
 * Built by scripts/build.mjs with gcc / aarch64-linux-gnu-gcc.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#define FRAME_BYTES 10
#define FRAME_SAMPLES 80

/* Throws (once) and returns NULL when a Node-API call fails. */
#define CHECK(env, call)                                                        \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      bool pending = false;                                                     \
      napi_is_exception_pending((env), &pending);                               \
      if (!pending) napi_throw_error((env), "E_G729_NAPI", "bcg729: " #call " failed"); \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

/* The single argument as a typed array of the expected element type. */
static bool typed_arg(napi_env env, napi_callback_info info, napi_typedarray_type want,
                      const char *what, void **data, size_t *length) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[0], &type, length, data, NULL, NULL) != napi_ok ||
      type != want) {
    napi_throw_type_error(env, "E_G729_ARG", what);
    return false;
  }
  return true;
}

static napi_value decode(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  if (!typed_arg(env, info, napi_uint8_array, "bcg729.decode: expected a Buffer or Uint8Array of G.729 frames", &data, &length)) return NULL;
  if (length % FRAME_BYTES != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "bcg729.decode: %zu bytes is not a whole number of %d-byte frames", length, FRAME_BYTES);
    napi_throw_range_error(env, "E_G729_LENGTH", msg);
    return NULL;
  }
  size_t frames = length / FRAME_BYTES;
  void *out_data = NULL;
  napi_value out_buffer, result;
  CHECK(env, napi_create_arraybuffer(env, frames * FRAME_SAMPLES * sizeof(int16_t), &out_data, &out_buffer));
  if (frames > 0) {
    bcg729DecoderChannelContextStruct *channel = initBcg729DecoderChannel();
    if (channel == NULL) {
      napi_throw_error(env, "E_G729_NOMEM", "bcg729.decode: out of memory");
      return NULL;
    }
    const uint8_t *in = (const uint8_t *)data;
    int16_t *pcm = (int16_t *)out_data;
    for (size_t i = 0; i < frames; i++) {
      /* No erasure, not SID, no RFC 3389 payload: a plain 10-byte speech frame. */
      bcg729Decoder(channel, in + i * FRAME_BYTES, FRAME_BYTES, 0, 0, 0, pcm + i * FRAME_SAMPLES);
    }
    closeBcg729DecoderChannel(channel);
  }
  CHECK(env, napi_create_typedarray(env, napi_int16_array, frames * FRAME_SAMPLES, out_buffer, 0, &result));
  return result;
}

static napi_value encode(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  if (!typed_arg(env, info, napi_int16_array, "bcg729.encode: expected an Int16Array of 8 kHz samples", &data, &length)) return NULL;
  if (length % FRAME_SAMPLES != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "bcg729.encode: %zu samples is not a whole number of %d-sample frames", length, FRAME_SAMPLES);
    napi_throw_range_error(env, "E_G729_LENGTH", msg);
    return NULL;
  }
  size_t frames = length / FRAME_SAMPLES;
  void *out_data = NULL;
  napi_value result;
  CHECK(env, napi_create_buffer(env, frames * FRAME_BYTES, &out_data, &result));
  if (frames > 0) {
    bcg729EncoderChannelContextStruct *channel = initBcg729EncoderChannel(0); /* VAD/DTX off: every frame is 10 bytes */
    if (channel == NULL) {
      napi_throw_error(env, "E_G729_NOMEM", "bcg729.encode: out of memory");
      return NULL;
    }
    const int16_t *pcm = (const int16_t *)data;
    uint8_t *out = (uint8_t *)out_data;
    for (size_t i = 0; i < frames; i++) {
      uint8_t written = 0;
      bcg729Encoder(channel, pcm + i * FRAME_SAMPLES, out + i * FRAME_BYTES, &written);
      if (written != FRAME_BYTES) { /* cannot happen with VAD off; never hand back a short frame */
        closeBcg729EncoderChannel(channel);
        napi_throw_error(env, "E_G729_ENCODE", "bcg729.encode: encoder produced a frame that is not 10 bytes");
        return NULL;
      }
    }
    closeBcg729EncoderChannel(channel);
  }
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn, version;
  char text[16];
  CHECK(env, napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "decode", fn));
  CHECK(env, napi_create_function(env, "encode", NAPI_AUTO_LENGTH, encode, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "encode", fn));
  snprintf(text, sizeof text, "%d.%d.%d", (BCG729_VERSION_NUMBER >> 16) & 0xff, (BCG729_VERSION_NUMBER >> 8) & 0xff, BCG729_VERSION_NUMBER & 0xff);
  CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &version));
  CHECK(env, napi_set_named_property(env, exports, "version", version));
  return exports;
}
