"""Built-in error models (EDEN §4): EM0 ``uniform``, EM1 ``bitline``, EM2 ``wordline``, EM3 ``data_dependent``,
and ``none``."""
