/* The host tests' assertion: prints file:line and the failed condition, counts, and carries on. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H
#include <stdio.h>

extern int check_failures;
extern int check_passes;

#define CHECK(cond, ...)                                             \
  do {                                                               \
    if (cond) {                                                      \
      check_passes++;                                                \
    } else {                                                         \
      check_failures++;                                              \
      fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                  \
      fputc('\n', stderr);                                           \
    }                                                                \
  } while (0)

#endif
