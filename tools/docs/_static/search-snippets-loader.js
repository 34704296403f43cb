// Search summaries from file://: browsers refuse the fetch() of each hit's page there, so on the search page the text of
// every page comes from _static/search-snippets.js (written by tools/render_docs.py) instead. Served over http(s), nothing changes.
(() => {
  if (location.protocol !== "file:" || !/\/search\.html$/.test(location.pathname)) return;
  const root = document.documentElement.dataset.content_root || "./";
  const data = new Promise((done) => {
    const s = document.createElement("script");
    s.src = root + "_static/search-snippets.js";
    s.onload = () => done(window.MSGM_SNIPPETS || {});
    s.onerror = () => done({});
    document.head.appendChild(s);
  });
  const fetchPage = window.fetch.bind(window);
  window.fetch = (url, ...rest) => {
    const u = String(url);
    if (!u.startsWith(root) || !u.endsWith(".html")) return fetchPage(url, ...rest);
    const name = u.slice(root.length, -".html".length);
    return data.then((pages) =>
      name in pages ? new Response(pages[name], { headers: { "Content-Type": "text/html" } }) : fetchPage(url, ...rest),
    );
  };
})();
