#!/bin/sh
# Doxygen input filter for the public headers (see doxygen-filter.sed).
exec sed -f "$(dirname "$0")/doxygen-filter.sed" "$1"
