/*
 * wm_aws_shim.h - what cshim/wm_aws.c offers besides WM_AWS_CONTEXT.
 */
#ifndef WM_AWS_SHIM_H
#define WM_AWS_SHIM_H

/* The module configuration as JSON text (wm_aws_dump without the schedule
 * keys), secrets masked; the caller frees it. NULL when out of memory. */
char *wm_aws_dump_json(const wm_aws *config);

#endif
