#include <stdio.h>

#include "ringbuf.h"

static int failures = 0;

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                    \
            failures++;                                                  \
        }                                                                \
    } while (0)

int main(void)
{
    struct ringbuf rb;
    int v = -1;

    CHECK(rb_init(&rb, 3) == 0);
    CHECK(rb_pop(&rb, &v) == -1 && v == -1);

    CHECK(rb_push(&rb, 1) == 0);
    CHECK(rb_push(&rb, 2) == 0);
    CHECK(rb_push(&rb, 3) == 0);
    CHECK(rb_is_full(&rb));
    CHECK(rb_push(&rb, 4) == -1);
    CHECK(rb_size(&rb) == 3);

    CHECK(rb_pop(&rb, &v) == 0 && v == 1);
    CHECK(rb_push(&rb, 4) == 0); /* wraps around */
    CHECK(rb_peek(&rb, &v) == 0 && v == 2);
    CHECK(rb_pop(&rb, &v) == 0 && v == 2);
    CHECK(rb_pop(&rb, &v) == 0 && v == 3);
    CHECK(rb_pop(&rb, &v) == 0 && v == 4);
    CHECK(rb_size(&rb) == 0);

    rb_free(&rb);

    /* hidden checks: many wrap-arounds, capacity 1, pop leaves *out alone when empty */
    CHECK(rb_init(&rb, 4) == 0);
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 50; round++) {
        while (!rb_is_full(&rb)) {
            CHECK(rb_push(&rb, next_in++) == 0);
        }
        CHECK(rb_push(&rb, 999) == -1);
        for (int k = 0; k < 3; k++) {
            CHECK(rb_pop(&rb, &v) == 0 && v == next_out++);
        }
    }
    while (rb_pop(&rb, &v) == 0) {
        CHECK(v == next_out++);
    }
    CHECK(next_out == next_in);
    v = 42;
    CHECK(rb_pop(&rb, &v) == -1 && v == 42);
    rb_free(&rb);

    CHECK(rb_init(&rb, 1) == 0);
    CHECK(rb_push(&rb, 7) == 0 && rb_push(&rb, 8) == -1);
    CHECK(rb_pop(&rb, &v) == 0 && v == 7);
    CHECK(rb_push(&rb, 9) == 0 && rb_peek(&rb, &v) == 0 && v == 9);
    rb_free(&rb);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all ringbuf tests passed\n");
    return 0;
}
