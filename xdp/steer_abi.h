/* What the steering program (mbxdp_steer.bpf.c) and its loader (loader.c)
 * agree on: the program's name, the sizes of its maps and the slots of its
 * counter array. Included by both the BPF and the user-space build, so it
 * holds nothing but plain defines. */
#ifndef MBX_STEER_ABI_H
#define MBX_STEER_ABI_H

/* The program's name as the kernel reports it (bpftool, ip link): how a
 * later run recognises a program left behind by a killed one. */
#define MBXDP_PROG_NAME "mbxdp_steer"

/* Served TCP ports the mbxdp_ports hash map can hold. */
#define MBXDP_PORTS_MAX 64

/* Entries of xsks_map, indexed by receive queue: covers every queue the
 * command line accepts (0..1023). */
#define MBXDP_QUEUES_MAX 1024

/* Slots of the per-CPU mbxdp_stats array. Every frame the program sees is
 * counted in exactly one of them. */
#define MBXDP_STAT_STEERED 0 /* redirected into the queue's AF_XDP socket */
#define MBXDP_STAT_PASSED 1 /* not for a served port: to the kernel */
#define MBXDP_STAT_NO_SOCKET 2 /* for a served port, but no socket on its queue */
#define MBXDP_STAT_COUNT 3

#endif
