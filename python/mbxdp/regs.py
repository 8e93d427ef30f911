"""ctypes binding of libmbxdp_regs (regs/mbx_regs.h), the access library
mbxdp and mbxdp-ctl use: the seqlock, the layout checks and the byte
order live there once; this module only passes arguments and raises.

Which library is loaded, meson writes into _library.py: in the build
tree's copy of this package (build/python) the build's library by its path,
in the installed package the library's SONAME, for the dynamic loader.
"""
import ctypes
import fcntl

from ._library import REGS_LIB

# The table ids of enum mbx_regs_table_id, by the names mbxdp-ctl takes.
TABLES = {
    "coils": 0, "co": 0,
    "discrete-inputs": 1, "di": 1,
    "holding-registers": 2, "hr": 2,
    "input-registers": 3, "ir": 3,
    "file-records": 4, "fr": 4,
}
_BIT_TABLES = (0, 1)
_ERR_ROOM = 512


class RegsError(Exception):
    """The store cannot be opened, or no such server or unit."""


class RangeError(RegsError, IndexError):
    """Addresses outside the unit's table (or a table the unit lacks)."""


class BusyError(RegsError):
    """A writer kept the unit locked for the library's whole bounded wait."""


class _Regs(ctypes.Structure):
    """struct mbx_regs: the library fills it; its size must match."""
    _fields_ = [("base", ctypes.c_void_p), ("size", ctypes.c_size_t), ("fd", ctypes.c_int),
                ("n_servers", ctypes.c_uint32), ("n_units", ctypes.c_uint32),
                ("servers_off", ctypes.c_uint64), ("units_off", ctypes.c_uint64),
                ("data_off", ctypes.c_uint64)]


class _UnitHead(ctypes.Structure):
    """The first fields of struct mbx_regs_unit."""
    _fields_ = [("seq", ctypes.c_uint32), ("server", ctypes.c_uint32),
                ("unit_id", ctypes.c_uint8)]


def _load():
    lib = ctypes.CDLL(REGS_LIB, use_errno=True)
    regs_p, unit_p, u16_p = ctypes.POINTER(_Regs), ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint16)
    sigs = {
        "mbx_regs_open": (ctypes.c_int, [regs_p, ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.c_size_t]),
        "mbx_regs_close": (None, [regs_p]),
        "mbx_regs_select": (unit_p, [regs_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                     ctypes.c_size_t]),
        "mbx_regs_range_ok": (ctypes.c_int, [unit_p, ctypes.c_int, ctypes.c_uint32,
                                             ctypes.c_uint32]),
        "mbx_regs_read": (ctypes.c_int, [regs_p, unit_p, ctypes.c_int, ctypes.c_uint32,
                                         ctypes.c_uint32, u16_p]),
        "mbx_regs_write": (ctypes.c_int, [regs_p, unit_p, ctypes.c_int, ctypes.c_uint32,
                                          ctypes.c_uint32, u16_p]),
        "mbx_regs_write_begin": (ctypes.c_int, [unit_p]),
        "mbx_regs_write_end": (None, [unit_p]),
        "mbx_regs_put": (ctypes.c_int, [regs_p, unit_p, ctypes.c_int, ctypes.c_uint32,
                                        ctypes.c_uint32, u16_p]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


_lib = None


def _library():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _table(table):
    if isinstance(table, int) and table in TABLES.values():
        return table
    try:
        return TABLES[table]
    except (KeyError, TypeError):
        raise ValueError(f"no table {table!r}; one of {', '.join(TABLES)}") from None


def _check(rc, what):
    if rc == -1:
        raise RangeError(f"{what}: outside the unit's table")
    if rc == -2:
        raise BusyError(f"{what}: the unit stayed locked by a writer (one that died?)")
    return rc


def _values(table, values):
    top = 1 if table in _BIT_TABLES else 0xFFFF
    vals = [int(v) for v in values]
    if not vals:
        raise ValueError("no value to write")
    bad = [v for v in vals if not 0 <= v <= top]
    if bad:
        raise ValueError(f"value {bad[0]} outside 0..{top}")
    return (ctypes.c_uint16 * len(vals))(*vals)


class Store:
    """The register store of the mbxdp instance called name (its --name;
    by default mbxdp-IFACE, or mbxdp-IFACE-QUEUE for one given --queue),
    mapped read-write."""

    def __init__(self, name):
        self._lib = _library()
        self._regs = _Regs()
        err = ctypes.create_string_buffer(_ERR_ROOM)
        if self._lib.mbx_regs_open(ctypes.byref(self._regs), name.encode(), err, _ERR_ROOM):
            raise RegsError(f"{err.value.decode()} (is an mbxdp with --name {name} running?)")
        self.name = name

    def close(self):
        if self._regs is not None:
            self._lib.mbx_regs_close(ctypes.byref(self._regs))
            self._regs = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def alive(self):
        """Whether the mbxdp that made the store still runs (it holds an
        exclusive lock on the file)."""
        try:
            fcntl.flock(self._regs.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._regs.fd, fcntl.LOCK_UN)
        return False

    def unit(self, server=None, unit=None):
        """The unit with id unit (0-255) on the server with IPv4 or IPv6 address
        server; None picks the only server, or that server's only unit."""
        if unit is not None and not 0 <= unit <= 255:
            raise ValueError(f"unit id {unit} outside 0..255")
        err = ctypes.create_string_buffer(_ERR_ROOM)
        ptr = self._lib.mbx_regs_select(ctypes.byref(self._regs),
                                        server.encode() if server else None,
                                        -1 if unit is None else unit, err, _ERR_ROOM)
        if not ptr:
            raise RegsError(err.value.decode())
        return Unit(self, ptr)


class Unit:
    """One unit's tables. Every read is whole and every write is one
    update, against the masters' FC 05/06/0F/10/16/17 and other writers."""

    def __init__(self, store, ptr):
        self._store = store
        self._ptr = ptr
        self.unit_id = _UnitHead.from_address(ptr).unit_id

    def _call(self, fn, table, addr, n, buf):
        return fn(ctypes.byref(self._store._regs), self._ptr, table, addr, n, buf)

    def read(self, table, addr, count=1):
        """count entries of table from Modbus address addr: ints (bits 0/1)."""
        t = _table(table)
        if count < 1:
            raise ValueError(f"count {count}: read at least 1")
        buf = (ctypes.c_uint16 * count)()
        _check(self._call(self._store._lib.mbx_regs_read, t, addr, count, buf),
               f"read {count} {table} at {addr}")
        return list(buf)

    def write(self, table, addr, values):
        """Writes values (registers 0-65535, bits 0/1) from address addr."""
        t = _table(table)
        buf = _values(t, values)
        _check(self._call(self._store._lib.mbx_regs_write, t, addr, len(buf), buf),
               f"write {len(buf)} {table} at {addr}")

    def update(self):
        """A context manager gathering writes into one update: readers see
        all of them or none. Nothing is written if any range is bad."""
        return _Update(self)


class _Update:
    def __init__(self, unit):
        self._unit = unit
        self._writes = []

    def write(self, table, addr, values):
        t = _table(table)
        self._writes.append((t, addr, _values(t, values), f"{table} at {addr}"))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:
            return False
        u, lib = self._unit, self._unit._store._lib
        for t, addr, buf, what in self._writes:
            if not lib.mbx_regs_range_ok(u._ptr, t, addr, len(buf)):
                raise RangeError(f"update: {len(buf)} {what} outside the unit's table; "
                                 "nothing written")
        _check(lib.mbx_regs_write_begin(u._ptr), "update")
        try:
            for t, addr, buf, _ in self._writes:
                u._call(lib.mbx_regs_put, t, addr, len(buf), buf)
        finally:
            lib.mbx_regs_write_end(u._ptr)
        return False
