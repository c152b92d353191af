"""Scale-out experiments: timings of the out-of-core (DuckDB) data-prep path against pandas; see docs/scale-out.md."""
