/* web_page.h - the status page served at / (docs/web.md). */
#ifndef TUNNELCTL_WEB_PAGE_H
#define TUNNELCTL_WEB_PAGE_H

/* The self-contained status page (HTML, inline CSS and JS, no external resources). */
extern const char web_page_html[];

#endif
