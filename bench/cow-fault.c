/* What one copy-on-write page fault costs on this machine: the price the dynamic loader pays for each page of a
 * position-independent binary's RELRO segment (docs/benchmarks.md, `mva token` start-up).
 * Maps the first N pages of FILE privately, reads each (as the loader's first touch does), then writes one byte
 * in each and times the writes.
 *   cc -O2 bench/cow-fault.c -o /tmp/cow-fault && /tmp/cow-fault target/release/mva 117
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return ((double)(b.tv_sec - a->tv_sec) * 1e9 + (double)(b.tv_nsec - a->tv_nsec)) / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FILE PAGES\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  size_t pages = (size_t)atol(argv[2]);
  if (fd < 0 || pages == 0) {
    perror(argv[1]);
    return 1;
  }
  volatile char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  char sum = 0;
  for (size_t i = 0; i < pages; i++) sum += p[i * 4096];
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (size_t i = 0; i < pages; i++) p[i * 4096 + 8] = sum;
  printf("%.2f us per copy-on-write fault (%zu pages)\n", since(&start) / (double)pages, pages);
  return 0;
}
