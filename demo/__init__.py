"""Almanac's demo: a bundled site of a few venues on localhost, and the run that shows it.

`python -m demo` (what `make demo` runs) serves the site, imports the sources in
`demo/sources.yaml`, starts the Procfile's processes, scrapes every source and
says where to look. `python -m demo site` serves the site alone.
"""
