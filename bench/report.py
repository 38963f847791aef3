"""How the benchmarks print what they measured: the machine, tables, and whether a target was met."""
import os
import platform
from pathlib import Path


def verdict(met):
    return "met" if met else "MISSED"


def machine():
    """A line describing this machine."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def table(rows, headers):
    """A Markdown table."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["| " + " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"
             for row in [headers, *rows]]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
