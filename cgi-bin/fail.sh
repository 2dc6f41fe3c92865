#!/bin/sh
# A script that fails: its 500 is kept, and corsgate still adds the CORS
# headers, so an allowed page can read the status.
echo "fail.sh: something went wrong" >&2
printf 'Status: 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n'
printf '{"error":"something went wrong"}\n'
