/*
 * peer-echo: tells a caller the address it came from, over TCP or UDP (busybox's nc speaks no UDP and says nothing
 * of its peers). Built static into the test image by scripts/build-test-images.sh.
 *
 *   peer-echo serve tcp|udp PORT         answers each connection (TCP) or datagram (UDP) with "PEER_IP\n"
 *   peer-echo ask tcp|udp HOST PORT      prints the answer; exit 1 after 3 s without one
 */
#include <arpa/inet.h>
#include <netdb.h>
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
      int size = snprintf(answer, sizeof answer, "%s\n", inet_ntoa(peer.sin_addr));
      write(connection, answer, size);
      close(connection);
    }
  }
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

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "serve") == 0) return serve(strcmp(argv[2], "udp") == 0, atoi(argv[3]));
  if (argc == 5 && strcmp(argv[1], "ask") == 0) return ask(strcmp(argv[2], "udp") == 0, argv[3], argv[4]);
  fprintf(stderr, "usage: peer-echo serve tcp|udp PORT | peer-echo ask tcp|udp HOST PORT\n");
  return 2;
}
