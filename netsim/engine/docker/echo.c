/* netsim-echo: the echo service of netsim's container image. For every TCP connection and
 * every UDP datagram it answers "peer-ip:peer-port\n" (what the server saw: the NAT source),
 * the same answer netsim's own echo listeners give. UDP answers come from the address the
 * datagram was sent to (IP_PKTINFO), as a connected client requires.
 *
 *   netsim-echo tcp:80 udp:53 tcp:8192:127.0.0.1 ...   (no argument: just stay alive; a
 *   port without an address is heard in both families, each on a socket of its own)
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

/* One socket of a spec: family 4 or 6; the address given, else the family's any (an IPv6
 * one V6ONLY, so its IPv4 twin keeps IPv4). -1: this family cannot be had here. */
static int listen_one(const char *spec, const char *port, const char *ip, int udp, int family) {
    int s = socket(family == 6 ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1;
    if (s < 0) return -1;
    struct sockaddr_storage st = {0};
    socklen_t len;
    if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&st;
        a->sin6_family = AF_INET6; a->sin6_port = htons(atoi(port)); len = sizeof *a;
        if (ip && inet_pton(AF_INET6, ip, &a->sin6_addr) != 1) { fprintf(stderr, "%s: bad address\n", spec); exit(1); }
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&st;
        a->sin_family = AF_INET; a->sin_port = htons(atoi(port)); len = sizeof *a;
        if (ip && inet_pton(AF_INET, ip, &a->sin_addr) != 1) { fprintf(stderr, "%s: bad address\n", spec); exit(1); }
    }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&st, len) < 0) {
        if (family == 6 && !ip) { close(s); return -1; }  /* no IPv6 here: IPv4 alone */
        perror(spec); exit(1);
    }
    if (udp) setsockopt(s, family == 6 ? IPPROTO_IPV6 : IPPROTO_IP,
                        family == 6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &one, sizeof one);
    else listen(s, 512);
    return s;
}

/* "tcp:80" (both families), "udp:53", "tcp:8192:127.0.0.1", "tcp:8192:fd00::2": up to two
 * sockets into fds; returns how many. */
static int listen_on(const char *spec, int *fds) {
    const char *port = strchr(spec, ':') ? strchr(spec, ':') + 1 : spec, *ip = strchr(port, ':');
    int udp = strncmp(spec, "udp", 3) == 0, n = 0;
    if (ip) ip++;
    if (!ip || !strchr(ip, ':')) fds[n++] = listen_one(spec, port, ip, udp, 4);
    if (!ip || strchr(ip, ':')) {
        int s = listen_one(spec, port, ip, udp, 6);
        if (s >= 0) fds[n++] = s;
    }
    return n;
}

static int peer_text(char *out, size_t n, struct sockaddr_storage *p) {
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
    if (p->ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)p;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip); port = ntohs(a->sin6_port);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)p;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip); port = ntohs(a->sin_port);
    }
    return snprintf(out, n, "%s:%u\n", ip, port);
}

static void answer_tcp(int s) {
    struct sockaddr_storage p; socklen_t len = sizeof p; char text[80];
    int c = accept(s, (struct sockaddr *)&p, &len);
    if (c < 0) return;
    if (write(c, text, peer_text(text, sizeof text, &p)) < 0) { /* peer gone: nothing to say */ }
    close(c);
}

/* The answer leaves from the address the datagram came to (IP_PKTINFO / IPV6_PKTINFO). */
static void answer_udp(int s) {
    char buf[2048], cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {0}, text[80];
    struct sockaddr_storage p; struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {&p, sizeof p, &iov, 1, cbuf, sizeof cbuf, 0};
    if (recvmsg(s, &m, 0) < 0) return;
    struct in_pktinfo in4 = {0}; struct in6_pktinfo in6 = {0};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
            in4.ipi_spec_dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
            in6.ipi6_addr = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr;
    }
    int v6 = p.ss_family == AF_INET6;
    struct iovec out = {text, (size_t)peer_text(text, sizeof text, &p)};
    char obuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {0};
    size_t size = v6 ? sizeof in6 : sizeof in4;
    struct msghdr r = {&p, m.msg_namelen, &out, 1, obuf, CMSG_SPACE(size), 0};
    struct cmsghdr *c = CMSG_FIRSTHDR(&r);
    c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP; c->cmsg_type = v6 ? IPV6_PKTINFO : IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(size);
    memcpy(CMSG_DATA(c), v6 ? (void *)&in6 : (void *)&in4, size);
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
    struct pollfd fds[MAX]; int udp[MAX], n = 0, got[2];
    for (int i = 1; i < argc && n + 2 <= MAX; i++)
        for (int k = 0, m = listen_on(argv[i], got); k < m; k++, n++) {
            fds[n].fd = got[k]; fds[n].events = POLLIN;
            udp[n] = strncmp(argv[i], "udp", 3) == 0;
        }
    for (;;) {
        if (poll(fds, n, -1) < 0) continue;  /* n == 0: sleeps for ever */
        for (int i = 0; i < n; i++)
            if (fds[i].revents & POLLIN) (udp[i] ? answer_udp : answer_tcp)(fds[i].fd);
    }
}
