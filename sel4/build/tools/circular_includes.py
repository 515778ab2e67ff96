#!/usr/bin/env python3
"""Replacement for seL4 5.0's tools/circular_includes.py.

Reads preprocessed kernel source (kernel_all.c_pp) on stdin and reports a
circular #include chain. Unlike the original, it follows the GCC linemarker
*flags* (`# LINE "FILE" 1` = entering FILE, `2` = returning to FILE) instead of
guessing from the line number, so it copes with the `# 0 "file"` markers
written by gcc >= 9 and with `#line` directives (which carry no flags).
Exit 0: no cycle; exit 1: cycle found (printed).
"""
import re
import sys

MARKER = re.compile(r'^#\s*(\d+)\s+"((?:[^"\\]|\\.)*)"((?:\s+\d+)*)\s*$')


def main():
    stack = []
    for line in sys.stdin:
        if not line.startswith('#'):
            continue
        m = MARKER.match(line)
        if m is None:
            continue
        name = m.group(2)
        flags = m.group(3).split()
        if '1' in flags:                 # entering an included file
            if name in stack:
                print("Circular includes found:")
                print("\n".join(stack[stack.index(name):] + [name]))
                return 1
            stack.append(name)
        elif '2' in flags:               # returning to an including file
            while stack and stack[-1] != name:
                stack.pop()
            if not stack:
                stack = [name]
        elif not stack:                  # first marker / new top-level context
            stack = [name]
        elif stack[-1] != name:          # `#line N "other"` renames the current file
            stack[-1] = name
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 1:
        sys.stderr.write("usage: %s < kernel_all.c_pp\n" % sys.argv[0])
        sys.exit(2)
    sys.exit(main())
