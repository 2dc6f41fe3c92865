#!/bin/sh
# A script with CORS ideas of its own: its Vary is kept and merged with
# corsgate's; its Access-Control-Allow-Origin is removed wherever corsgate's
# policy applies (and passes untouched on a path with enabled = false).
printf 'Content-Type: text/plain\r\n'
printf 'Vary: Accept-Encoding\r\n'
printf 'Access-Control-Allow-Origin: *\r\n'
printf '\r\n'
printf 'my own Vary and a stray Access-Control-Allow-Origin\n'
