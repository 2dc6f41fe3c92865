#!/bin/sh
# bench/origin.sh - origin_set_match with 10 and 10,000 patterns: ns/match
# for an exact hit, a wildcard hit and a miss, and the ratio 10000/10
# (about 1: matching does not depend on the number of patterns).
# B is the build directory (set by bench/run.sh; default build).
set -u
B=${B:-build}
exec "$B/bench/origin_match"
