"""Where leases are kept: the protocol every store implements, and one subpackage or module per store.

The coordinator speaks only ``protocol``; the words of a medium (files,
directories, keys, servers) stay inside the store that uses it.
"""
