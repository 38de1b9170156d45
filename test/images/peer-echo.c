/*
 * peer-echo: tells a caller the address it came from, over TCP or UDP (busybox's nc speaks no UDP and says nothing
 * of its peers). Built static into the test image by scripts/build-test-images.sh.
 *
 *   peer-echo serve tcp|udp PORT         answers each connection (TCP) or datagram (UDP) with "PEER_IP\n";
 *                                        over TCP it then echoes every byte it reads (for round trips), and on
 *                                        the caller's end of sending says how many bytes it read
 *   peer-echo ask tcp|udp HOST PORT      prints the answer; exit 1 after 3 s without one
 *   peer-echo send HOST PORT MEGABYTES   sends that much over TCP, prints "MB/s" (until the peer said it had it all)
 *   peer-echo rtt HOST PORT COUNT        COUNT round trips of one byte over TCP, prints "median_us p99_us"
 *   peer-echo get HOST PORT COUNT MS     COUNT HTTP GETs of / (a new connection each, MS apart), prints each answer's
 *                                        body, or "FAIL why" (3 s without an answer is a failure)
 *   peer-echo tget HOST PORT COUNT MS    the same, each line after the time it was sent (seconds since boot, the clock
 *                                        of /proc/uptime, which every namespace of the machine shares)
 * The benchmark runs the same binary in pods and on the hosts, so both are measured with one tool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char *what) {
  perror(what);
  return 1;
}

static int serve(int udp, int port) {
  int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) return fail("bind");
  if (!udp && listen(fd, 64) < 0) return fail("listen");
  for (;;) {
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    char buffer[512], answer[64];
    if (udp) {
      if (recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&peer, &length) < 0) continue;
      int size = snprintf(answer, sizeof answer, "%s\n", inet_ntoa(peer.sin_addr));
      sendto(fd, answer, size, 0, (struct sockaddr *)&peer, length);
    } else {
      int connection = accept(fd, (struct sockaddr *)&peer, &length);
      if (connection < 0) continue;
      if (fork() == 0) {
        int size = snprintf(answer, sizeof answer, "%s\n", inet_ntoa(peer.sin_addr));
        write(connection, answer, size);
        setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* A caller that goes on: small reads are echoed (round trips), large ones counted (a transfer). */
        static char data[1 << 16];
        long long total = 0;
        ssize_t got;
        while ((got = read(connection, data, sizeof data)) > 0) {
          total += got;
          if (got == 1) write(connection, data, 1);
        }
        size = snprintf(answer, sizeof answer, "%lld\n", total);
        write(connection, answer, size);
        _exit(0);
      }
      close(connection);
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
    }
  }
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/** A TCP connection to HOST:PORT past the server's greeting line; -1 on failure. */
static int greeted(const char *host, const char *port) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  if (getaddrinfo(host, port, &hints, &found) != 0) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  if (connect(fd, found->ai_addr, found->ai_addrlen) < 0) return -1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') {
  }
  return fd;
}

static int send_megabytes(const char *host, const char *port, long megabytes) {
  int fd = greeted(host, port);
  if (fd < 0) return fail("connect");
  static char data[1 << 16];
  double begin = now_us();
  for (long sent = 0; sent < megabytes << 20; sent += sizeof data)
    if (write(fd, data, sizeof data) != sizeof data) return fail("write");
  shutdown(fd, SHUT_WR);
  char answer[64];
  ssize_t size = read(fd, answer, sizeof answer - 1);
  if (size <= 0) return fail("no count");
  printf("%.1f\n", megabytes / ((now_us() - begin) / 1e6));
  return 0;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int round_trips(const char *host, const char *port, int count) {
  int fd = greeted(host, port);
  if (fd < 0) return fail("connect");
  double *times = malloc(sizeof(double) * count);
  char c = 'x';
  for (int i = 0; i < count; i++) {
    double begin = now_us();
    if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) return fail("round trip");
    times[i] = now_us() - begin;
  }
  qsort(times, count, sizeof(double), compare);
  printf("%.1f %.1f\n", times[count / 2], times[count * 99 / 100]);
  return 0;
}

static int ask(int udp, const char *host, const char *port) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    fprintf(stderr, "peer-echo: %s: %s\n", host, gai_strerror(status));
    return 1;
  }
  int fd = socket(AF_INET, hints.ai_socktype, 0);
  struct timeval timeout = {.tv_sec = 3};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, found->ai_addr, found->ai_addrlen) < 0) return fail("connect");
  if (udp && send(fd, "?", 1, 0) < 0) return fail("send");
  char buffer[64];
  ssize_t size = recv(fd, buffer, sizeof buffer - 1, 0);
  if (size <= 0) return fail("no answer");
  fwrite(buffer, 1, size, stdout);
  return 0;
}

/** One HTTP/1.0 GET of /: the body's first line into `body`, else 0 with why in `body`. */
static int http_get(const char *host, const char *port, char *body, size_t room) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) return snprintf(body, room, "resolve: %s", gai_strerror(status)), 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval timeout = {.tv_sec = 3};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int ok = 0;
  if (connect(fd, found->ai_addr, found->ai_addrlen) < 0) {
    snprintf(body, room, "connect: %s", strerror(errno));
  } else {
    static const char request[] = "GET / HTTP/1.0\r\n\r\n";
    char answer[4096];
    size_t size = 0;
    ssize_t got;
    write(fd, request, sizeof request - 1);
    while (size < sizeof answer - 1 && (got = read(fd, answer + size, sizeof answer - 1 - size)) > 0) size += got;
    answer[size] = 0;
    char *start = strstr(answer, "\r\n\r\n");
    if (!start || strncmp(answer, "HTTP/1.", 7) != 0 || strncmp(answer + 9, "200", 3) != 0) {
      snprintf(body, room, "answer: %.40s", size > 0 ? answer : (got < 0 ? strerror(errno) : "none"));
    } else {
      start += 4;
      start[strcspn(start, "\r\n")] = 0;
      snprintf(body, room, "%s", start);
      ok = 1;
    }
  }
  close(fd);
  freeaddrinfo(found);
  return ok;
}

static int http_gets(const char *host, const char *port, int count, int interval_ms, int timed) {
  char body[256];
  for (int i = 0; i < count; i++) {
    if (i > 0 && interval_ms > 0) usleep(interval_ms * 1000);
    struct timespec sent;
    clock_gettime(CLOCK_BOOTTIME, &sent);
    int ok = http_get(host, port, body, sizeof body);
    if (timed) printf("%ld.%06ld ", (long)sent.tv_sec, sent.tv_nsec / 1000);
    printf(ok ? "%s\n" : "FAIL %s\n", body);
    fflush(stdout);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "serve") == 0) return serve(strcmp(argv[2], "udp") == 0, atoi(argv[3]));
  if (argc == 5 && strcmp(argv[1], "ask") == 0) return ask(strcmp(argv[2], "udp") == 0, argv[3], argv[4]);
  if (argc == 5 && strcmp(argv[1], "send") == 0) return send_megabytes(argv[2], argv[3], atol(argv[4]));
  if (argc == 5 && strcmp(argv[1], "rtt") == 0) return round_trips(argv[2], argv[3], atoi(argv[4]));
  if (argc == 6 && strcmp(argv[1], "get") == 0) return http_gets(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), 0);
  if (argc == 6 && strcmp(argv[1], "tget") == 0) return http_gets(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), 1);
  fprintf(stderr, "usage: peer-echo serve tcp|udp PORT | ask tcp|udp HOST PORT | send HOST PORT MEGABYTES | rtt HOST PORT COUNT | get|tget HOST PORT COUNT MS\n");
  return 2;
}
