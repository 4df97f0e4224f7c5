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
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all ringbuf tests passed\n");
    return 0;
}
