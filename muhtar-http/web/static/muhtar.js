// muhtar: the progressive script of the web pages. Every form works without it; it only
// adds what a browser can do better (a photo's preview, "use my location").
"use strict";
