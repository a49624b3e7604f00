"""Review cases: screening hits and payment patterns a compliance officer decides on."""
