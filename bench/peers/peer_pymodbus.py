#!/usr/bin/python3
"""peer_pymodbus: the pymodbus 3.0 asyncio Modbus/TCP server over the default
image (coil and discrete input i hold i & 1, holding and input register i hold
i), as a pymodbus user sets it up. Run with /usr/bin/python3 (Debian's
python3-pymodbus). zero_mode: request address i is entry i, as on the wire
(pymodbus otherwise adds 1, the 1-based convention of MAP 4.4)."""
import argparse
import asyncio
import signal

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server.async_io import ModbusTcpServer

ENTRIES = 65536


async def serve(addr, port):
    bits = [i & 1 for i in range(ENTRIES)]
    regs = list(range(ENTRIES))
    store = ModbusSlaveContext(
        co=ModbusSequentialDataBlock(0, bits),
        di=ModbusSequentialDataBlock(0, list(bits)),
        hr=ModbusSequentialDataBlock(0, regs),
        ir=ModbusSequentialDataBlock(0, list(regs)),
        zero_mode=True)
    context = ModbusServerContext(slaves=store, single=True)
    # What StartAsyncTcpServer() does, with the server at hand so "serving"
    # is printed only once the socket listens.
    server = ModbusTcpServer(context, address=(addr, port))
    task = asyncio.create_task(server.serve_forever())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    await server.serving
    print(f"peer_pymodbus: serving on {addr}:{port}", flush=True)
    try:
        await task
    except asyncio.CancelledError:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--addr", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=502)
    args = ap.parse_args()
    asyncio.run(serve(args.addr, args.port))


if __name__ == "__main__":
    main()
