"""Live processes, from Linux /proc, for tests that check what a process started or left behind."""

from __future__ import annotations

from pathlib import Path


def extraction_processes(pid: int) -> set[int]:
    """The pids of a process's live extraction workers (its spawned children; not multiprocessing's
    resource tracker)."""
    found = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == str(pid) and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.add(int(proc.name))
    return found
