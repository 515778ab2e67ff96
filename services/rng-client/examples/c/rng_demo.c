/*
 * A native KOS app in C: asks the RNG server for random bytes through
 * kos_request_rng_stream and prints them, then a large request's size.
 * Build: cc rng_demo.c -I../../include ../../../../target/debug/libkos_rng_client.a -lpthread -ldl -lm
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kos_rng_client.h"

int main(void) {
    uint8_t small[16];
    int status = kos_request_rng_stream(small, sizeof small);
    if (status != KOS_RNG_OK) {
        printf("kos_request_rng_stream failed: %d (%s)\n", status, kos_rng_strerror(status));
        fflush(stdout);
        pause();
        return 1;
    }
    printf("random:");
    for (size_t i = 0; i < sizeof small; i++) printf(" %02x", small[i]);
    printf("\n");

    size_t big_len = 4u << 20;
    uint8_t *big = malloc(big_len);
    status = big ? kos_request_rng_stream(big, big_len) : KOS_RNG_ERR_FAILED;
    printf("%zu bytes: %s\n", big_len, kos_rng_strerror(status));
    free(big);

    status = kos_request_rng_stream(NULL, 8);
    printf("NULL buffer: %d (%s)\n", status, kos_rng_strerror(status));
    fflush(stdout);
    pause();
    return 0;
}
