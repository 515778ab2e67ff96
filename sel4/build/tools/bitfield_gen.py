#!/usr/bin/python3
"""Run seL4's tools/bitfield_gen.py without letting ply write parsetab.py
into the (read-only, cargo registry) source tree.

Used as BF_GEN_PATH=...; the real generator is found through PYTHONPATH,
which seL4's Makefile sets to ${SOURCE_ROOT}/tools.
"""
import os
import runpy
import sys

from ply import yacc

# yacc.yacc(debug=0) is called by bitfield_gen; flip the default of
# write_tables (and keep debugfile off) without adding a stack frame, since
# ply finds the grammar through its caller's frame.
sig = list(yacc.yacc.__defaults__)
names = yacc.yacc.__code__.co_varnames[:yacc.yacc.__code__.co_argcount]
defaults_start = len(names) - len(sig)
sig[names.index('write_tables') - defaults_start] = False
yacc.yacc.__defaults__ = tuple(sig)

for d in sys.path:
    real = os.path.join(d, 'bitfield_gen.py')
    if d and os.path.abspath(real) != os.path.abspath(__file__) and os.path.isfile(real):
        break
else:
    sys.exit('bitfield_gen wrapper: real bitfield_gen.py not found on PYTHONPATH')

sys.argv[0] = real
runpy.run_path(real, run_name='__main__')
