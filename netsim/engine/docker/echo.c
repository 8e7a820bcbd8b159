/* netsim-echo: the echo service of netsim's container image. For every TCP connection and
 * every UDP datagram it answers "peer-ip:peer-port\n" (what the server saw: the NAT source),
 * the same answer netsim's own echo listeners give. UDP answers come from the address the
 * datagram was sent to (IP_PKTINFO), as a connected client requires.
 *
 *   netsim-echo tcp:80 udp:53 tcp:8192:127.0.0.1 ...   (no argument: just stay alive)
 *   netsim-echo probe tcp|udp|icmp IP PORT|SIZE        (one probe, see probe())
 * Static, no libc resolver, one process: the image holds nothing else but busybox. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

/* netsim-echo probe tcp|udp IP PORT  |  netsim-echo probe icmp IP SIZE (-1: no DF)
 * One probe from inside the container (an engine netsim cannot enter: `docker exec`), as
 * netsim's own prober does it: one line, "open ANSWER", "closed WHY", "reach", "blocked WHY". */
static int wait_for(int fd, short ev, int ms) {
    struct pollfd p = {fd, ev, 0};
    return poll(&p, 1, ms) > 0;
}

static int probe_stream(const char *proto, struct sockaddr_in *to) {
    int udp = strcmp(proto, "udp") == 0, err = 0;
    socklen_t len = sizeof err;
    char buf[128] = {0};
    int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
    if (connect(s, (struct sockaddr *)to, sizeof *to) < 0 && errno != EINPROGRESS) {
        printf("blocked %s\n", strerror(errno)); return 0;
    }
    if (!udp) {
        if (!wait_for(s, POLLOUT, 1000)) { printf("blocked timeout\n"); return 0; }
        getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) { printf("%s %s\n", err == ECONNREFUSED ? "closed" : "blocked",
                          err == ECONNREFUSED ? "RST" : strerror(err)); return 0; }
    } else if (send(s, "netsim probe\n", 13, 0) < 0) {
        printf("blocked %s\n", strerror(errno)); return 0;
    }
    if (!wait_for(s, POLLIN, 1000)) { printf(udp ? "blocked timeout\n" : "open\n"); return 0; }
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    if (n < 0) { printf("%s %s\n", errno == ECONNREFUSED ? "closed" : "blocked",
                        errno == ECONNREFUSED ? "ICMP port unreachable" : strerror(errno)); return 0; }
    printf("open %s", n ? buf : "\n");
    return 0;
}

static unsigned short sum16(unsigned short *p, int n) {
    unsigned long s = 0;
    for (; n > 1; n -= 2) s += *p++;
    if (n) s += *(unsigned char *)p;
    s = (s >> 16) + (s & 0xffff); s += s >> 16;
    return (unsigned short)~s;
}

static int probe_icmp(struct sockaddr_in *to, int size) {
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), df = IP_PMTUDISC_DO, dont = IP_PMTUDISC_DONT;
    if (s < 0) { printf("blocked %s\n", strerror(errno)); return 0; }
    setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, size >= 0 ? &df : &dont, sizeof df);
    int payload = size >= 0 ? size : 56;
    unsigned char pkt[65536] = {8, 0}, in[65536];
    unsigned short id = (unsigned short)getpid();
    memcpy(pkt + 4, &id, 2);
    *(unsigned short *)(pkt + 2) = sum16((unsigned short *)pkt, 8 + payload);
    if (sendto(s, pkt, 8 + payload, 0, (struct sockaddr *)to, sizeof *to) < 0) {
        printf("blocked %s\n", strerror(errno)); return 0;
    }
    for (int left = 1000; left > 0; left -= 50) {
        if (!wait_for(s, POLLIN, 50)) continue;
        ssize_t n = recv(s, in, sizeof in, 0);
        int hl = (in[0] & 15) * 4;
        if (n > hl + 8 && in[hl] == 0 && !memcmp(in + hl + 4, &id, 2)) {
            printf("reach\n"); return 0;
        }
    }
    printf("blocked timeout\n");
    return 0;
}

static int probe(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: netsim-echo probe tcp|udp|icmp IP PORT|SIZE\n"); return 2; }
    struct sockaddr_in to = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, argv[3], &to.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    if (!strcmp(argv[2], "icmp")) return probe_icmp(&to, atoi(argv[4]));
    to.sin_port = htons(atoi(argv[4]));
    return probe_stream(argv[2], &to);
}

static void bye(int sig) { (void)sig; _exit(0); }  /* pid 1 ignores an unhandled TERM */

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "probe")) return probe(argc, argv);
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
