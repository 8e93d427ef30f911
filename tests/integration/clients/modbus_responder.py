"""A Modbus/TCP server on the kernel's TCP, for a client under test: answers
FC 03 with each register's value equal to its address (as mbxdp's default
image), anything else with exception 01. Prints "listening" when it is.

    /usr/bin/python3 modbus_responder.py ADDR PORT
"""
import asyncio
import struct
import sys


async def serve(reader, writer):
    try:
        while True:
            mbap = await reader.readexactly(7)
            tid, proto, length, unit = struct.unpack(">HHHB", mbap)
            pdu = await reader.readexactly(length - 1)
            if pdu[0] == 3 and len(pdu) == 5:
                addr, qty = struct.unpack(">HH", pdu[1:])
                regs = b"".join(struct.pack(">H", (addr + i) & 0xFFFF) for i in range(qty))
                answer = bytes([3, 2 * qty]) + regs
            else:
                answer = bytes([pdu[0] | 0x80, 1])
            writer.write(struct.pack(">HHHB", tid, proto, len(answer) + 1, unit) + answer)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(addr, port):
    server = await asyncio.start_server(serve, addr, port, backlog=1024)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
