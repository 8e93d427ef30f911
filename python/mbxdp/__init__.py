"""mbxdp's live registers from Python: read what Modbus masters wrote and
change the inputs of the simulated devices while mbxdp runs.

    from mbxdp import Store
    with Store("mbxdp-eth0-0") as store:
        unit = store.unit(server="198.18.0.1", unit=1)
        print(unit.read("holding-registers", 100, 10))
        unit.write("input-registers", 0, [1, 2, 3])
        with unit.update() as up:            # one update, seen whole
            up.write("discrete-inputs", 0, [1, 0, 1])
            up.write("input-registers", 10, [42])
"""
from .regs import BusyError, RangeError, RegsError, Store, Unit, TABLES

__all__ = ["BusyError", "RangeError", "RegsError", "Store", "Unit", "TABLES"]
