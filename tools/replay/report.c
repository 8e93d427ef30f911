#include "report.h"

#include <string.h>

#include "json_out.h"

enum field {
	F_TID = 1 << 0,
	F_PROTO = 1 << 1,
	F_UNIT = 1 << 2,
	F_FUNCTION = 1 << 3,
	F_EXCEPTION = 1 << 4,
	F_BYTE_COUNT = 1 << 5,
	F_DATA = 1 << 6,
};

static const char *const field_names[] = {
	"transaction_id", "protocol_id", "unit", "function", "exception", "byte_count", "data",
};

enum status { S_MATCHED, S_DIFFERS, S_EXTRA, S_MISSING, S_UNANSWERED, S_UNSENT };

static const char *const status_names[] = {
	"matched", "differs", "extra", "missing", "unanswered", "unsent",
};

/* Normal responses whose first PDU byte after the function code is a byte
 * count (MAP 6.1-6.4, 6.10, 6.13, 6.14, 6.17). */
static int has_byte_count(uint8_t fc)
{
	return fc == 0x01 || fc == 0x02 || fc == 0x03 || fc == 0x04 || fc == 0x0C || fc == 0x11 ||
	       fc == 0x14 || fc == 0x17;
}

/* Which fields of the replayed response r differ from the captured c. */
static unsigned diff_fields(const uint8_t *c, uint32_t clen, const uint8_t *r, uint32_t rlen)
{
	unsigned d = 0;
	int cex, rex;
	uint32_t data;

	if (memcmp(c, r, 2))
		d |= F_TID;
	if (memcmp(c + 2, r + 2, 2))
		d |= F_PROTO;
	if (c[6] != r[6])
		d |= F_UNIT;
	if (clen < 8 || rlen < 8)
		return clen == rlen ? d : d | F_DATA;
	if ((c[7] & 0x7f) != (r[7] & 0x7f))
		return d | F_FUNCTION;
	cex = (c[7] & 0x80) != 0;
	rex = (r[7] & 0x80) != 0;
	if (cex != rex || (cex && (clen < 9 || rlen < 9 || c[8] != r[8])))
		return d | F_EXCEPTION;
	if (cex)
		return d;
	data = 8;
	if (has_byte_count(c[7])) {
		if (clen < 9 || rlen < 9 || c[8] != r[8])
			d |= F_BYTE_COUNT;
		data = 9;
	}
	if (clen != rlen || (clen > data && memcmp(c + data, r + data, clen - data)))
		d |= F_DATA;
	return d;
}

/* The response echoes the request's MBAP fields and function (MIG 3.1.3,
 * MAP 7). */
static int answers(const uint8_t *q, uint32_t qlen, const uint8_t *r, uint32_t rlen)
{
	return rlen >= 9 && qlen >= 8 && !memcmp(q, r, 4) && q[6] == r[6] &&
	       (r[7] & 0x7f) == q[7];
}

static enum status status_of(const struct rp_flow *f, const struct rp_req_result *r,
			     uint32_t i, unsigned *fields)
{
	int32_t peer = f->c.adus[i].peer;

	*fields = 0;
	switch (r->st) {
	case RQ_ANSWERED:
		if (peer < 0)
			return S_EXTRA;
		*fields = diff_fields(f->s.bytes + f->s.adus[peer].off, f->s.adus[peer].len, r->resp,
				      r->resp_len);
		return *fields ? S_DIFFERS : S_MATCHED;
	case RQ_UNSENT:
		return S_UNSENT;
	default:
		return peer < 0 ? S_UNANSWERED : S_MISSING;
	}
}

static int request_ok(const struct rp_flow *f, const struct rp_req_result *r, uint32_t i)
{
	const struct rp_adu *q = &f->c.adus[i];

	if (r->no_answer_reason)
		return 1;
	return r->st == RQ_ANSWERED && answers(f->c.bytes + q->off, q->len, r->resp, r->resp_len);
}

void rp_summarize(const struct rp_capture *cap, const struct rp_flow_result *res,
		  struct rp_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (uint32_t fi = 0; fi < cap->n_flows; fi++) {
		const struct rp_flow *f = &cap->flows[fi];
		const struct rp_flow_result *fr = &res[fi];

		sum->flows++;
		if (fr->skipped) {
			sum->flows_skipped++;
			continue;
		}
		sum->unsolicited += fr->n_extra + fr->n_extra_dropped;
		for (uint32_t i = 0; i < f->c.n_adus; i++) {
			unsigned fields;
			uint32_t *count[] = { &sum->matched, &sum->differs, &sum->extra, &sum->missing,
					      &sum->unanswered, &sum->unsent };
			enum status st = status_of(f, &fr->req[i], i, &fields);

			sum->requests++;
			(*count[st])++;
			if (fr->req[i].no_answer_reason)
				sum->not_due++;
			else if (st == S_MATCHED)
				sum->matched_due++;
			if (!request_ok(f, &fr->req[i], i))
				sum->failed++;
		}
	}
}

static void fields_str(unsigned fields, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned b = 0; b < sizeof(field_names) / sizeof(field_names[0]); b++)
		if (fields & (1u << b))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
					      field_names[b]);
}

/* A note about the flow as captured, or NULL. */
static void capture_note(const struct rp_flow *f, char *buf, size_t len)
{
	buf[0] = 0;
	if (f->c.unframed_at != UINT32_MAX)
		snprintf(buf, len, "client stream not Modbus from byte %u (MBAP length %u): %u bytes sent but no request",
			 f->c.unframed_at, (unsigned)(f->c.bytes[f->c.unframed_at + 4] << 8 | f->c.bytes[f->c.unframed_at + 5]),
			 f->c.len - f->c.unframed_at);
	else if (f->c.hole_at != UINT32_MAX)
		snprintf(buf, len, "the capture misses client bytes from %u on: replayed up to there",
			 f->c.hole_at);
	else if (f->fragment_pkt)
		snprintf(buf, len, "fragmented from packet %u on: fragments are not reassembled",
			 f->fragment_pkt);
}

/* Packets of the capture that were not read, in one line each, or NULL. */
static const char *unread_note(const struct rp_capture *cap, int which, char *buf, size_t len)
{
	if (which == 0 && cap->malformed)
		snprintf(buf, len, "%u malformed IP packets not read; the first, packet %u: %s",
			 cap->malformed, cap->malformed_pkt, cap->malformed_why);
	else if (which == 1 && cap->fragments)
		snprintf(buf, len, "%u IP fragments not reassembled, the first packet %u: their flows are not replayed",
			 cap->fragments, cap->fragment_pkt);
	else
		return NULL;
	return buf;
}

void rp_print_table(FILE *out, const char *capture, const char *target,
		    const struct rp_capture *cap, const struct rp_flow_result *res,
		    const struct rp_summary *sum)
{
	char a[RP_ADDR_STR + 8], b[RP_ADDR_STR + 8], note[160], fields[96];

	fprintf(out, "replay of %s against %s: %u packets, %u client flows to port %u\n", capture,
		target, cap->packets, cap->n_flows, cap->n_flows ? cap->flows[0].server_port : 0);
	for (int w = 0; w < 2; w++)
		if (unread_note(cap, w, note, sizeof(note)))
			fprintf(out, "capture: %s\n", note);
	for (uint32_t fi = 0; fi < cap->n_flows; fi++) {
		const struct rp_flow *f = &cap->flows[fi];
		const struct rp_flow_result *fr = &res[fi];

		fprintf(out, "\nflow %u: %s -> %s, %u requests, %u captured responses", fi + 1,
			rp_endpoint_str(&f->client_ip, f->client_port, a),
			rp_endpoint_str(&f->server_ip, f->server_port, b), f->c.n_adus, f->s.n_adus);
		if (fr->skipped)
			fprintf(out, ": not replayed (%s)\n", fr->note);
		else
			fprintf(out, "; replayed from port %u, %u segments sent, %u retransmissions%s%s\n",
				fr->sport, fr->segs_sent, fr->retransmissions, fr->note ? ": " : "",
				fr->note ? fr->note : "");
		capture_note(f, note, sizeof(note));
		if (note[0])
			fprintf(out, "  capture: %s\n", note);
		if (fr->skipped)
			continue;
		if (f->c.n_adus)
			fprintf(out, "  %4s %6s %5s %4s %4s  %-10s  %s\n", "req", "packet", "tid", "unit",
				"fc", "status", "fields that differ / why no answer is due");
		for (uint32_t i = 0; i < f->c.n_adus; i++) {
			const struct rp_adu *q = &f->c.adus[i];
			const uint8_t *qb = f->c.bytes + q->off;
			const struct rp_req_result *r = &fr->req[i];
			unsigned fl;
			enum status st = status_of(f, r, i, &fl);

			fields_str(fl, fields, sizeof(fields));
			fprintf(out, "  %4u %6u %5u %4u %4u  %-10s  %s%s%s\n", i + 1, q->pkt, rp_tid(qb),
				qb[6], q->len > 7 ? qb[7] : 0, status_names[st], fields,
				r->no_answer_reason && fields[0] ? "; " : "",
				r->no_answer_reason ? r->no_answer_reason : "");
		}
		for (uint32_t i = 0; i < fr->n_extra; i++)
			fprintf(out, "  unsolicited response: tid %u unit %u fc %u\n",
				rp_tid(fr->extra[i].bytes), fr->extra[i].bytes[6], fr->extra[i].bytes[7]);
	}
	fprintf(out, "\nrequests %u: matched %u, differs %u, extra %u, missing %u, unanswered %u, unsent %u;"
		     " no answer due %u; unsolicited responses %u\n",
		sum->requests, sum->matched, sum->differs, sum->extra, sum->missing, sum->unanswered,
		sum->unsent, sum->not_due, sum->unsolicited);
	fprintf(out, "requests due an answer %u: matched %u (%.1f %%)\n", sum->requests - sum->not_due,
		sum->matched_due,
		sum->requests > sum->not_due ? 100.0 * sum->matched_due / (sum->requests - sum->not_due) : 100.0);
	fprintf(out, "result: %s (%u requests due an answer without a proper one)\n",
		sum->failed || sum->unsolicited ? "FAIL" : "PASS", sum->failed);
}

/* Bytes as a hex string. */
static json_t *hex(const uint8_t *b, uint32_t len)
{
	char buf[2 * 260 + 1]; /* an ADU is at most 260 bytes */
	uint32_t n = len < 260 ? len : 260;

	for (uint32_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	buf[2 * n] = 0;
	return json_string(buf);
}

static json_t *endpoint(const struct rp_addr *ip, uint16_t port)
{
	char buf[RP_ADDR_STR + 8];

	return json_string(rp_endpoint_str(ip, port, buf));
}

static json_t *summary_json(const struct rp_capture *cap, const struct rp_summary *sum)
{
	json_t *o = json_object();

	json_object_set_new(o, "packets", json_integer(cap->packets));
	json_object_set_new(o, "flows", json_integer(sum->flows));
	json_object_set_new(o, "flows_skipped", json_integer(sum->flows_skipped));
	json_object_set_new(o, "requests", json_integer(sum->requests));
	json_object_set_new(o, "matched", json_integer(sum->matched));
	json_object_set_new(o, "matched_due", json_integer(sum->matched_due));
	json_object_set_new(o, "differs", json_integer(sum->differs));
	json_object_set_new(o, "extra", json_integer(sum->extra));
	json_object_set_new(o, "missing", json_integer(sum->missing));
	json_object_set_new(o, "unanswered", json_integer(sum->unanswered));
	json_object_set_new(o, "unsent", json_integer(sum->unsent));
	json_object_set_new(o, "no_answer_due", json_integer(sum->not_due));
	json_object_set_new(o, "failed", json_integer(sum->failed));
	json_object_set_new(o, "unsolicited", json_integer(sum->unsolicited));
	json_object_set_new(o, "pass", json_boolean(!sum->failed && !sum->unsolicited));
	return o;
}

static json_t *request_json(const struct rp_flow *f, const struct rp_flow_result *fr, uint32_t i)
{
	const struct rp_adu *q = &f->c.adus[i];
	const uint8_t *qb = f->c.bytes + q->off;
	const struct rp_req_result *r = &fr->req[i];
	json_t *o = json_object(), *differs = json_array();
	unsigned fl;
	enum status st = status_of(f, r, i, &fl);

	json_object_set_new(o, "packet", json_integer(q->pkt));
	json_object_set_new(o, "tid", json_integer(rp_tid(qb)));
	json_object_set_new(o, "unit", json_integer(qb[6]));
	json_object_set_new(o, "function", json_integer(q->len > 7 ? qb[7] : 0));
	json_object_set_new(o, "status", json_string(status_names[st]));
	for (unsigned b = 0; b < sizeof(field_names) / sizeof(field_names[0]); b++)
		if (fl & (1u << b))
			json_array_append_new(differs, json_string(field_names[b]));
	json_object_set_new(o, "differs", differs);
	json_object_set_new(o, "answer_due", json_boolean(!r->no_answer_reason));
	json_object_set_new(o, "ok", json_boolean(request_ok(f, r, i)));
	json_object_set_new(o, "request", hex(qb, q->len));
	json_object_set_new(o, "captured",
			    q->peer >= 0 ? hex(f->s.bytes + f->s.adus[q->peer].off,
					       f->s.adus[q->peer].len)
					 : json_null());
	json_object_set_new(o, "replayed",
			    r->st == RQ_ANSWERED ? hex(r->resp, r->resp_len) : json_null());
	if (r->no_answer_reason)
		json_object_set_new(o, "why_no_answer_due", json_text(r->no_answer_reason));
	return o;
}

static json_t *flow_json(const struct rp_flow *f, const struct rp_flow_result *fr)
{
	json_t *o = json_object(), *reqs = json_array(), *extra = json_array();
	char note[160];

	json_object_set_new(o, "client", endpoint(&f->client_ip, f->client_port));
	json_object_set_new(o, "server", endpoint(&f->server_ip, f->server_port));
	json_object_set_new(o, "replayed", json_boolean(!fr->skipped));
	json_object_set_new(o, "our_port", json_integer(fr->sport));
	json_object_set_new(o, "segments_sent", json_integer(fr->segs_sent));
	json_object_set_new(o, "retransmissions", json_integer(fr->retransmissions));
	json_object_set_new(o, "note", json_text(fr->note));
	capture_note(f, note, sizeof(note));
	json_object_set_new(o, "capture_note", json_text(note[0] ? note : NULL));
	for (uint32_t i = 0; i < f->c.n_adus; i++)
		json_array_append_new(reqs, request_json(f, fr, i));
	json_object_set_new(o, "requests", reqs);
	for (uint32_t i = 0; i < fr->n_extra; i++)
		json_array_append_new(extra, hex(fr->extra[i].bytes, fr->extra[i].len));
	json_object_set_new(o, "unsolicited", extra);
	return o;
}

int rp_write_json(FILE *out, const char *capture, const char *target,
		  const struct rp_capture *cap, const struct rp_flow_result *res,
		  const struct rp_summary *sum)
{
	json_t *root = json_object(), *flows = json_array(), *notes = json_array();
	char note[160];
	int rc;

	json_object_set_new(root, "capture", json_text(capture));
	json_object_set_new(root, "target", json_text(target));
	json_object_set_new(root, "summary", summary_json(cap, sum));
	json_object_set_new(root, "malformed_packets", json_integer(cap->malformed));
	json_object_set_new(root, "fragments", json_integer(cap->fragments));
	for (int w = 0; w < 2; w++)
		if (unread_note(cap, w, note, sizeof(note)))
			json_array_append_new(notes, json_text(note));
	json_object_set_new(root, "capture_notes", notes);
	for (uint32_t fi = 0; fi < cap->n_flows; fi++)
		json_array_append_new(flows, flow_json(&cap->flows[fi], &res[fi]));
	json_object_set_new(root, "flows", flows);
	rc = json_dumpf(root, out, JSON_INDENT(2)) < 0 || fputc('\n', out) == EOF ? -1 : 0;
	json_decref(root);
	return rc;
}
