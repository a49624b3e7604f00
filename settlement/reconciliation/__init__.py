"""Reconciliation: bank statements in, matches against settlement instructions out.

``statements`` holds the pure parsers (camt.053 XML and profiled CSV) that turn a bank file into
plain ``Statement`` values; the import and matching services persist and use those values.
"""
