#!/bin/sh
# Server-sent events: one line a second, LINES of them (default 5).
# corsgate passes each line on as it comes.
n=${QUERY_STRING#lines=}
case "$n" in '' | *[!0-9]*) n=5 ;; esac
[ "$n" -gt 60 ] && n=60
printf 'Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n'
i=1
while [ "$i" -le "$n" ]; do
	printf 'data: tick %d\n\n' "$i"
	i=$((i + 1))
	[ "$i" -le "$n" ] && sleep 1
done
