/* netsim-echo: the echo service of netsim's container image. For every TCP connection and
 * every UDP datagram it answers "peer-ip:peer-port\n" (what the server saw: the NAT source),
 * the same answer netsim's own echo listeners give. UDP answers come from the address the
 * datagram was sent to (IP_PKTINFO), as a connected client requires.
 *
 *   netsim-echo tcp:80 udp:53 tcp:8192:127.0.0.1 ...   (no argument: just stay alive)
 * Static, no libc resolver, one process: the image holds nothing else but busybox. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX 64

static int listen_on(const char *spec, int *udp) {
    const char *port = strchr(spec, ':') ? strchr(spec, ':') + 1 : spec, *ip = strchr(port, ':');
    *udp = strncmp(spec, "udp", 3) == 0;
    int s = socket(AF_INET, *udp ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    if (ip && inet_pton(AF_INET, ip + 1, &a.sin_addr) != 1) { fprintf(stderr, "%s: bad address\n", spec); exit(1); }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror(spec); exit(1); }
    if (*udp) setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    else listen(s, 512);
    return s;
}

static int peer_text(char *out, size_t n, struct sockaddr_in *p) {
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &p->sin_addr, ip, sizeof ip);
    return snprintf(out, n, "%s:%u\n", ip, ntohs(p->sin_port));
}

static void answer_tcp(int s) {
    struct sockaddr_in p; socklen_t len = sizeof p; char text[64];
    int c = accept(s, (struct sockaddr *)&p, &len);
    if (c < 0) return;
    if (write(c, text, peer_text(text, sizeof text, &p)) < 0) { /* peer gone: nothing to say */ }
    close(c);
}

static void answer_udp(int s) {
    char buf[2048], cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))], text[64];
    struct sockaddr_in p; struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {&p, sizeof p, &iov, 1, cbuf, sizeof cbuf, 0};
    if (recvmsg(s, &m, 0) < 0) return;
    struct in_addr local = {0};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
            local = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
    struct iovec out = {text, (size_t)peer_text(text, sizeof text, &p)};
    char obuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
    struct msghdr r = {&p, sizeof p, &out, 1, obuf, sizeof obuf, 0};
    struct cmsghdr *c = CMSG_FIRSTHDR(&r);
    c->cmsg_level = IPPROTO_IP; c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    ((struct in_pktinfo *)CMSG_DATA(c))->ipi_spec_dst = local;
    sendmsg(s, &r, 0);
}

static void bye(int sig) { (void)sig; _exit(0); }  /* pid 1 ignores an unhandled TERM */

int main(int argc, char **argv) {
    signal(SIGTERM, bye);
    struct pollfd fds[MAX]; int udp[MAX], n = 0;
    for (int i = 1; i < argc && n < MAX; i++, n++) {
        fds[n].fd = listen_on(argv[i], &udp[n]);
        fds[n].events = POLLIN;
    }
    for (;;) {
        if (poll(fds, n, -1) < 0) continue;  /* n == 0: sleeps for ever */
        for (int i = 0; i < n; i++)
            if (fds[i].revents & POLLIN) (udp[i] ? answer_udp : answer_tcp)(fds[i].fd);
    }
}
