"""CPU seconds from /proc: of a process group (each process the launcher starts leads its own
group: the action server's workers count with it), or of a server and its children."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Each live process's id and the fields of its /proc stat after the command name
    (state, ppid, pgrp, ... utime is [11], stime [12], cutime [13], cstime [14])."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        yield int(stat.parent.name), fields


def group_cpu_seconds(pgid: int) -> float:
    return sum(int(f[11]) + int(f[12]) for _, f in _processes() if int(f[2]) == pgid) / TICKS


def family_cpu_seconds(pid: int) -> float:
    """A server and its live children, plus the children it has reaped (PostgreSQL's
    backends are children of its postmaster, which runs in a session of its own)."""
    total = 0
    for process, fields in _processes():
        if process == pid:
            total += sum(int(f) for f in fields[11:15])
        elif int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS
