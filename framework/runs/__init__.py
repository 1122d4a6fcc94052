"""Many runs: listing the run folders under a folder (``hoh runs``)."""
