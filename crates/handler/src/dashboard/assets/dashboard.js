// offboard dashboard: the little script the pages use. Loaded from this site only (CSP);
// nothing here is needed to read a page.
"use strict";
