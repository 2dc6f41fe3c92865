/* cgimode.h - the plain-CGI front, for shared hosts where no module or
 * daemon can be installed: the web server runs corsgate itself as a CGI
 * program (Apache's Action handler) for one request.
 */
#ifndef CORSGATE_CGIMODE_H
#define CORSGATE_CGIMODE_H

#include <stdbool.h>

/* Whether this process was started as a CGI program: the web server set
 * GATEWAY_INTERFACE and stdin is not a FastCGI listening socket. */
bool cgimode_detect(void);

/* Serves the one request of this CGI invocation from the environment,
 * stdin and stdout: a preflight is answered; anything else runs the script
 * named by PATH_TRANSLATED (the Action handler's target) under cgi_root,
 * rewritten like under FastCGI. The policy is config_file when not NULL,
 * else $CORSGATE_CONFIG, else cors.ini beside SCRIPT_FILENAME (the handler
 * as the web server found it), else beside the binary.
 * Returns the exit status for main(): 0 once an answer was sent (errors
 * included), 1 when not even an error answer could be written. */
int cgimode_serve(const char *config_file);

#endif
