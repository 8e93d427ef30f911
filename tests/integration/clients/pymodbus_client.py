#!/usr/bin/python3
"""Modbus/TCP client on pymodbus 3.0 (Debian's python3-pymodbus).

Reads and writes with function codes 01..06, 0F and 10 through pymodbus's
synchronous ModbusTcpClient and checks the answers against the server's
default image (register i holds i, coil/discrete input i holds i & 1). Then
the other codes pymodbus speaks: 07, 08 (its sub-functions, listen only mode
included), 0B, 0C, 11, 14, 15, 16, 17, 18 and 2B/0E. It writes only at
addresses 3000..3099 and records 3000..3099 of file 1, and restores them.

Usage: /usr/bin/python3 pymodbus_client.py HOST [--port P]
Exits 0 when everything matched, 1 with a FAIL line on the first mismatch.
"""

import argparse
import logging
import struct
import sys

from pymodbus import diag_message as diag
from pymodbus.client import ModbusTcpClient
from pymodbus.file_message import (FileRecord, ReadFifoQueueRequest, ReadFifoQueueResponse,
                                   ReadFileRecordRequest, WriteFileRecordRequest)
from pymodbus.mei_message import ReadDeviceInformationRequest
from pymodbus.other_message import (GetCommEventCounterRequest, GetCommEventLogRequest,
                                    ReportSlaveIdRequest)

UNIT = 1
WRITE_BASE = 3000  # this client's scratch addresses; other clients use others


class Mismatch(Exception):
    pass


def ok(rr, what):
    # pymodbus returns an ExceptionResponse or a ModbusIOException object
    # (not an exception raised) when the server answers badly or not at all.
    if rr is None or rr.isError():
        raise Mismatch(f"{what}: {rr}")
    return rr


def regs(client, fc, addr, count):
    read = client.read_holding_registers if fc == 3 else client.read_input_registers
    return ok(read(addr, count, slave=UNIT), f"FC{fc:02X} read {count} at {addr}").registers


def bits(client, fc, addr, count):
    read = client.read_coils if fc == 1 else client.read_discrete_inputs
    # .bits is padded to whole bytes; the padding is checked by the raw client.
    return ok(read(addr, count, slave=UNIT), f"FC{fc:02X} read {count} at {addr}").bits[:count]


def expect(got, want, what):
    if list(got) != list(want):
        raise Mismatch(f"{what}: got {list(got)[:16]}, want {list(want)[:16]}")


def run(client):
    for fc in (3, 4):
        for addr, count in ((0, 10), (20000, 125), (65536 - 10, 10)):
            expect(regs(client, fc, addr, count), range(addr, addr + count),
                   f"FC{fc:02X} read {count} at {addr}")
    for fc in (1, 2):
        for addr, count in ((0, 16), (7, 2000), (65536 - 5, 5)):
            expect(bits(client, fc, addr, count), [bool((addr + i) & 1) for i in range(count)],
                   f"FC{fc:02X} read {count} at {addr}")

    a = WRITE_BASE
    ok(client.write_register(a, 0xCAFE, slave=UNIT), "FC06 write")
    expect(regs(client, 3, a, 2), [0xCAFE, a + 1], "FC06 read back")
    expect(regs(client, 4, a, 1), [a], "FC06 must not change input registers")
    ok(client.write_register(a, a, slave=UNIT), "FC06 restore")
    expect(regs(client, 3, a, 1), [a], "FC06 restore read back")

    vals = [7, 0xFFFF, 0, 0x8000]
    ok(client.write_registers(a + 1, vals, slave=UNIT), "FC10 write")
    expect(regs(client, 3, a, 6), [a] + vals + [a + 5], "FC10 read back")
    ok(client.write_registers(a + 1, list(range(a + 1, a + 5)), slave=UNIT), "FC10 restore")
    expect(regs(client, 3, a, 6), range(a, a + 6), "FC10 restore read back")

    ok(client.write_coil(a, True, slave=UNIT), "FC05 ON")  # coil 3000: 0 by default
    expect(bits(client, 1, a, 2), [True, True], "FC05 ON read back")
    expect(bits(client, 2, a, 1), [False], "FC05 must not change discrete inputs")
    ok(client.write_coil(a, False, slave=UNIT), "FC05 OFF")
    expect(bits(client, 1, a, 1), [False], "FC05 OFF read back")

    pattern = [True, False, False, True, True, True, False, True, False]
    ok(client.write_coils(a + 2, pattern, slave=UNIT), "FC0F write")
    expect(bits(client, 1, a + 1, len(pattern) + 2), [True] + pattern + [True],
           "FC0F read back")
    default = [bool((a + 2 + i) & 1) for i in range(len(pattern))]
    ok(client.write_coils(a + 2, default, slave=UNIT), "FC0F restore")
    expect(bits(client, 1, a + 2, len(pattern)), default, "FC0F restore read back")

    rr = client.read_holding_registers(65535, 2, slave=UNIT)
    if not rr.isError() or getattr(rr, "exception_code", None) != 2:
        raise Mismatch(f"FC03 read 2 at 65535: want exception 02, got {rr}")


class FifoResponse(ReadFifoQueueResponse):
    """MAP 6.18's layout: byte count, FIFO count (entries, not bytes), entries.

    pymodbus 3.0's own decoder takes the FIFO count for a byte count (and its
    server sends it so), which no other Modbus device does.
    """

    def decode(self, data):
        _, count = struct.unpack(">HH", data[0:4])
        self.values = list(struct.unpack(f">{count}H", data[4:4 + 2 * count]))


def diag_request(client, cls):
    # Built here, not through the client's diag_* helpers: pymodbus 3.0 passes
    # their slave argument on as the data word, which must be 0000 (MAP 6.8).
    return client.execute(getattr(diag, cls)(unit=UNIT))


def diag_count(client, cls):
    rr = ok(diag_request(client, cls), f"FC08 {cls}")
    return rr.message[0]  # the response's data words


def run_more_codes(client):
    a = WRITE_BASE + 50
    rr = ok(client.read_exception_status(slave=UNIT), "FC07")
    if rr.status != 0:
        raise Mismatch(f"FC07: status {rr.status}, want 0")

    # 16: (0x0BEA & 0xF2) | (0x25 & ~0xF2) = 0xE7 at address 3050.
    ok(client.mask_write_register(address=a, and_mask=0x00F2, or_mask=0x0025, unit=UNIT),
       "FC16")
    expect(regs(client, 3, a - 1, 3), [a - 1, 0xE7, a + 1], "FC16 read back")
    ok(client.write_register(a, a, slave=UNIT), "FC16 restore")

    # 17: the write comes before the read.
    rr = ok(client.readwrite_registers(read_address=a, read_count=3, write_address=a + 1,
                                       write_registers=[0x1111, 0x2222], unit=UNIT), "FC17")
    expect(rr.registers, [a, 0x1111, 0x2222], "FC17 read part")
    ok(client.write_registers(a + 1, [a + 1, a + 2], slave=UNIT), "FC17 restore")
    expect(regs(client, 3, a, 4), range(a, a + 4), "FC17 restore read back")

    # 18: the pointer register holds the count, the entries follow it.
    client.register(FifoResponse)
    ok(client.write_registers(a, [2, 0x01B8, 0x1284], slave=UNIT), "FC18 set-up")
    rr = ok(client.execute(ReadFifoQueueRequest(a, unit=UNIT)), "FC18")
    expect(rr.values, [0x01B8, 0x1284], "FC18 entries")
    ok(client.write_registers(a, [a, a + 1, a + 2], slave=UNIT), "FC18 restore")
    rr = client.execute(ReadFifoQueueRequest(a, unit=UNIT))  # 3050 > 31 entries
    if not rr.isError() or getattr(rr, "exception_code", None) != 3:
        raise Mismatch(f"FC18 count 3050: want exception 03, got {rr}")

    # 14, 15: file 1, record r holds r.
    rec = WRITE_BASE
    ok(client.execute(WriteFileRecordRequest(records=[
        FileRecord(file_number=1, record_number=rec, record_data=b"\x12\x34\x56\x78"),
        FileRecord(file_number=1, record_number=rec + 5, record_data=b"\xAB\xCD")],
        unit=UNIT)), "FC15")
    rr = ok(client.execute(ReadFileRecordRequest(records=[
        FileRecord(file_number=1, record_number=rec - 1, record_length=4),
        FileRecord(file_number=1, record_number=rec + 5, record_length=1)], unit=UNIT)),
        "FC14")
    got = [r.record_data for r in rr.records]
    want = [struct.pack(">4H", rec - 1, 0x1234, 0x5678, rec + 2), b"\xAB\xCD"]
    if got != want:
        raise Mismatch(f"FC14 read back: got {got}, want {want}")
    ok(client.execute(WriteFileRecordRequest(records=[
        FileRecord(file_number=1, record_number=rec, record_data=struct.pack(">6H", *range(
            rec, rec + 6)))], unit=UNIT)), "FC15 restore")
    rr = client.execute(ReadFileRecordRequest(records=[
        FileRecord(file_number=5, record_number=0, record_length=1)], unit=UNIT))
    if not rr.isError() or getattr(rr, "exception_code", None) != 2:
        raise Mismatch(f"FC14 file 5: want exception 02, got {rr}")

    # 2B/0E: the basic objects by stream and one by individual access.
    for code in (1, 2, 3):
        rr = ok(client.execute(ReadDeviceInformationRequest(read_code=code, unit=UNIT)),
                f"FC2B/0E code {code}")
        if (rr.conformity, rr.more_follows, sorted(rr.information)) != (0x81, 0, [0, 1, 2]):
            raise Mismatch(f"FC2B/0E code {code}: {rr.conformity:#x} {rr.more_follows} "
                           f"{rr.information}")
        if rr.information[0] != b"mbxdp" or rr.information[1] != b"MBXDP":
            raise Mismatch(f"FC2B/0E code {code}: {rr.information}")
    rr = ok(client.execute(ReadDeviceInformationRequest(read_code=4, object_id=1, unit=UNIT)),
            "FC2B/0E individual")
    if rr.information != {1: b"MBXDP"}:
        raise Mismatch(f"FC2B/0E individual object 1: {rr.information}")
    rr = client.execute(ReadDeviceInformationRequest(read_code=4, object_id=0x80, unit=UNIT))
    if not rr.isError() or getattr(rr, "exception_code", None) != 2:
        raise Mismatch(f"FC2B/0E object 0x80: want exception 02, got {rr}")

    rr = ok(client.execute(ReportSlaveIdRequest(unit=UNIT)), "FC11")
    if rr.identifier != b"MBXDP\xff" or not rr.status:
        raise Mismatch(f"FC11: identifier {rr.identifier}, status {rr.status}")

    # 08: echo, then counters from a clean start.
    rr = ok(client.diag_query_data(0xA537, slave=UNIT), "FC08/00")
    if list(rr.message) != [0xA537]:
        raise Mismatch(f"FC08/00: echoed {rr.message}")
    ok(diag_request(client, "ClearCountersRequest"), "FC08/0A")
    if diag_count(client, "ReturnBusMessageCountRequest") != 1:
        raise Mismatch("FC08/0B after 08/0A: want 1")
    client.read_holding_registers(65535, 2, slave=UNIT)  # exception 02
    if diag_count(client, "ReturnBusExceptionErrorCountRequest") != 1:
        raise Mismatch("FC08/0D after one exception: want 1")
    for cls in ("ReturnBusCommunicationErrorCountRequest", "ReturnSlaveNAKCountRequest",
                "ReturnSlaveBusyCountRequest", "ReturnSlaveBusCharacterOverrunCountRequest",
                "ReturnSlaveNoResponseCountRequest", "ReturnDiagnosticRegisterRequest"):
        if diag_count(client, cls) != 0:
            raise Mismatch(f"FC08 {cls}: want 0")
    if diag_count(client, "ReturnSlaveMessageCountRequest") != 10:
        raise Mismatch("FC08/0E: want 10 messages since 08/0A")
    ok(diag_request(client, "ClearOverrunCountRequest"), "FC08/14")
    rr = client.execute(diag.ChangeAsciiInputDelimiterRequest(unit=UNIT))
    if not rr.isError() or getattr(rr, "exception_code", None) != 1:
        raise Mismatch(f"FC08/03 (ASCII only): want exception 01, got {rr}")

    # 0B counts normal responses (not itself); 0C holds the same count.
    before = ok(client.execute(GetCommEventCounterRequest(unit=UNIT)), "FC0B").count
    regs(client, 3, 0, 1)
    after = ok(client.execute(GetCommEventCounterRequest(unit=UNIT)), "FC0B").count
    if after != before + 1:
        raise Mismatch(f"FC0B: {before} then {after} after one read")
    rr = ok(client.execute(GetCommEventLogRequest(unit=UNIT)), "FC0C")
    if rr.event_count != after or rr.events[:3] != [0x80, 0x40, 0x80]:
        raise Mismatch(f"FC0C: event count {rr.event_count}, events {rr.events[:8]}")


def run_listen_only(host, port):
    """08/04: no answers at all until 08/01, itself unanswered."""
    # Integer timeout: pymodbus 3.0 fails to connect with a fractional one.
    quiet = ModbusTcpClient(host, port=port, timeout=1, retries=0)
    try:
        if not quiet.connect():
            raise Mismatch("listen only: cannot connect")
        rr = diag_request(quiet, "ForceListenOnlyModeRequest")
        if not rr.isError():
            raise Mismatch(f"FC08/04 was answered: {rr}")
        rr = quiet.read_holding_registers(0, 1, slave=UNIT)
        if not rr.isError():
            raise Mismatch(f"FC03 answered in listen only mode: {rr}")
    finally:
        # Leave the server serving whatever happened above.
        quiet.diag_restart_communication(False, slave=UNIT)
        quiet.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=502)
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)  # pymodbus logs its retries; we report ourselves
    client = ModbusTcpClient(args.host, port=args.port, timeout=2, retries=0)
    try:
        if not client.connect():
            print(f"FAIL: pymodbus_client: cannot connect to {args.host}:{args.port}",
                  file=sys.stderr)
            return 1
        run(client)
        run_more_codes(client)
        client.close()
        run_listen_only(args.host, args.port)
        if not client.connect():
            raise Mismatch("cannot connect again after listen only mode")
        expect(regs(client, 3, 0, 2), [0, 1], "FC03 after 08/01 ended listen only mode")
    except Mismatch as e:
        print(f"FAIL: pymodbus_client: {e}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print("pymodbus_client: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
