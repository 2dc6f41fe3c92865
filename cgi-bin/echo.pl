#!/usr/bin/perl
# A JSON API in Perl: echoes the method, the body and a few request headers.
use strict;
use warnings;

my $body = '';
my $len = $ENV{CONTENT_LENGTH} // 0;
read(STDIN, $body, $len) if $len =~ /^\d+$/ && $len > 0;

sub esc {
	my $s = shift // '';
	$s =~ s/\\/\\\\/g;
	$s =~ s/"/\\"/g;
	$s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
	return qq("$s");
}

print "Content-Type: application/json\r\n";
print "X-Total-Count: 1\r\n\r\n";
print '{"lang":"perl","method":', esc($ENV{REQUEST_METHOD}),
	',"path":', esc(($ENV{SCRIPT_NAME} // '') . ($ENV{PATH_INFO} // '')),
	',"query":', esc($ENV{QUERY_STRING}),
	',"body":', esc($body),
	',"x_custom_header":', esc($ENV{HTTP_X_CUSTOM_HEADER}),
	',"content_type":', esc($ENV{CONTENT_TYPE}), "}\n";
