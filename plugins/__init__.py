"""Built-in hoh plugins. They use only the public hooks of :mod:`framework`."""
