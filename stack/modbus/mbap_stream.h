/* The Modbus byte stream as a server stack's application on top of TCP
 * (mbap_stream.c). Frame input hands it the text TCP accepted and looks
 * ahead with its prefetch rule; stack_init gives TCP its open hook. */
#ifndef MBX_MBAP_STREAM_H
#define MBX_MBAP_STREAM_H

#include "stack.h"
#include "tcp/tcp.h"

/* A connection opened by seg (stack.server_open): its Modbus peer, the
 * server and rights seg's addresses give it, kept in c->app. */
void mbap_open(struct stack *s, struct tcp_conn *c, const struct tcp_seg *seg);

/* Answers the ADUs of t (tcp_input's STACK_TEXT): returns TCP_APP_SENT,
 * TCP_APP_WRITER or TCP_APP_RESET, for tcp_text_done but the first. */
int mbap_input(struct stack *s, const struct tcp_seg *seg, const struct tcp_text *t,
	       struct tcp_writer *w);

/* The prefetch rule, for a burst looking ahead at text TCP will accept:
 * mbap_ahead_conn starts loading the connection's unit and returns it for
 * mbap_ahead_text, a frame or few later, which starts loading the
 * registers the request's function code addresses. */
const void *mbap_ahead_conn(const struct stack *s, const struct tcp_conn *c);
void mbap_ahead_text(const void *unit, const uint8_t *p, uint32_t len);

#endif
