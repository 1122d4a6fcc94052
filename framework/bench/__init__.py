"""``hoh bench compare``: two revisions' benchmarks side by side, interleaved, with paired statistics."""
