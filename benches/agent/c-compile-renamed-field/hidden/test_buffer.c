#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "lines.h"

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
    struct buffer buf;
    CHECK(buffer_init(&buf) == 0);
    CHECK(lines_count(&buf) == 0);

    for (int i = 0; i < 100; i++) {
        CHECK(lines_add(&buf, "a fairly long line of text") == 0);
    }
    CHECK(lines_count(&buf) == 100);
    CHECK(buf.length == 100 * 27);

    buffer_clear(&buf);
    CHECK(buffer_append_str(&buf, "one\ntwo") == 0);
    CHECK(lines_count(&buf) == 2);
    CHECK(lines_add(&buf, "") == 0);
    lines_chomp(&buf);
    CHECK(strcmp(buf.data, "one\ntwo") == 0);
    lines_chomp(&buf);
    CHECK(strcmp(buf.data, "one\ntwo") == 0);

    /* hidden checks */
    buffer_clear(&buf);
    CHECK(lines_count(&buf) == 0);
    CHECK(buffer_append_str(&buf, "\n\n") == 0);
    CHECK(lines_count(&buf) == 2);
    lines_chomp(&buf);
    CHECK(buf.length == 1 && strcmp(buf.data, "\n") == 0);
    lines_chomp(&buf);
    CHECK(buf.length == 0 && buf.data[0] == '\0');
    lines_chomp(&buf);
    CHECK(buf.length == 0);
    CHECK(buffer_append_str(&buf, "x") == 0);
    CHECK(lines_count(&buf) == 1);

    buffer_free(&buf);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all buffer tests passed\n");
    return 0;
}
