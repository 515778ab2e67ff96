/*
 * kos_rng_client.h: random bytes from the KOS RNG server (kos_rng_protocol).
 *
 * Link with libkos_rng_client.a (built by `cargo build -p kos-rng-client`) and
 * -lpthread -ldl -lm. The app must be started by KOS (`kos run`) with
 * kos_rng_protocol granted to it in the manifest's dir_access_control.
 */
#ifndef KOS_RNG_CLIENT_H
#define KOS_RNG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KOS_RNG_OK              0   /* the buffer was filled */
#define KOS_RNG_ERR_NOT_KOS    (-1) /* the process was not started by KOS */
#define KOS_RNG_ERR_NO_SERVER  (-2) /* the RNG server did not come up in time */
#define KOS_RNG_ERR_NOT_GRANTED (-3) /* the manifest does not grant kos_rng_protocol */
#define KOS_RNG_ERR_CLOSED     (-4) /* connection lost; the next call reconnects */
#define KOS_RNG_ERR_INVALID    (-5) /* buf is NULL while len is not 0 */
#define KOS_RNG_ERR_FAILED     (-6) /* any other failure */

/* Fills buf[0..len) with random bytes; any len, from 0 up. Thread-safe. */
int kos_request_rng_stream(uint8_t *buf, size_t len);

/* A static description of a status code. */
const char *kos_rng_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif /* KOS_RNG_CLIENT_H */
