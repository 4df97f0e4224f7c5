#include <stdio.h>
#include <string.h>

#include "strtrim.h"

static int failures = 0;

#define CHECK_STR(expr, expected)                                             \
    do {                                                                      \
        const char *got_ = (expr);                                            \
        if (strcmp(got_, (expected)) != 0) {                                  \
            fprintf(stderr, "%s:%d: %s gave \"%s\", want \"%s\"\n", __FILE__, \
                    __LINE__, #expr, got_, (expected));                       \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static char *copy(char *dst, const char *src)
{
    strcpy(dst, src);
    return dst;
}

int main(void)
{
    char a[64], b[64], c[64], d[64], e[64];

    CHECK_STR(str_trim_left(copy(a, "  \thello ")), "hello ");
    CHECK_STR(str_trim_right(copy(b, "  hello \n")), "  hello");
    CHECK_STR(str_trim(copy(c, " \t both sides \r\n")), "both sides");
    CHECK_STR(str_trim(copy(d, "")), "");
    CHECK_STR(str_squeeze(copy(e, "  a   b \t c  ")), "a b c");

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all strtrim tests passed\n");
    return 0;
}
